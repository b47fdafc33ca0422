import { z } from 'zod';
import { ConfigError, loadConfig, zBool, zCsv, zDurationMs, zListenAddress } from '../../src';

const schema = z.object({
  GRPC_LISTEN_ADDR: zListenAddress,
  KAFKA_BROKERS: zCsv,
  REQUEST_TIMEOUT: zDurationMs.default(1000),
  FEATURE_X: zBool.default(false),
  DATABASE_URL: z.string().url(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn']).default('info'),
});

describe('loadConfig', () => {
  it('parses a valid environment into a typed object', () => {
    const config = loadConfig(schema, {
      GRPC_LISTEN_ADDR: '127.0.0.1:50051',
      KAFKA_BROKERS: 'a:9092, b:9092,',
      REQUEST_TIMEOUT: '2s',
      FEATURE_X: '1',
      DATABASE_URL: 'postgres://localhost/db',
    });
    expect(config).toEqual({
      GRPC_LISTEN_ADDR: '127.0.0.1:50051',
      KAFKA_BROKERS: ['a:9092', 'b:9092'],
      REQUEST_TIMEOUT: 2000,
      FEATURE_X: true,
      DATABASE_URL: 'postgres://localhost/db',
      LOG_LEVEL: 'info',
    });
  });

  it('names every offending variable and never echoes a value', () => {
    const secretish = 'not-a-url-s3cr3t-password';
    const env = {
      GRPC_LISTEN_ADDR: '10.1.2.3:50051',
      DATABASE_URL: secretish,
      REQUEST_TIMEOUT: 'soon-s3cr3t',
      FEATURE_X: 'maybe-s3cr3t',
      LOG_LEVEL: 'loud-s3cr3t',
    };
    let caught: unknown;
    try {
      loadConfig(schema, env);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.message).toContain('KAFKA_BROKERS: required');
    for (const name of ['GRPC_LISTEN_ADDR', 'DATABASE_URL', 'REQUEST_TIMEOUT', 'FEATURE_X', 'LOG_LEVEL']) {
      expect(error.message).toContain(`${name}:`);
    }
    expect(error.issues.map((i) => i.variable).sort()).toEqual(
      ['DATABASE_URL', 'FEATURE_X', 'GRPC_LISTEN_ADDR', 'KAFKA_BROKERS', 'LOG_LEVEL', 'REQUEST_TIMEOUT'].sort(),
    );
    const everything = `${error.message} ${JSON.stringify(error.issues)} ${error.stack ?? ''}`;
    for (const value of [...Object.values(env), '10.1.2.3']) expect(everything).not.toContain(value);
    expect(everything).not.toContain('s3cr3t');
  });

  it.each([
    ['500', 500],
    ['500ms', 500],
    ['2s', 2000],
    ['1m', 60_000],
  ])('zDurationMs parses %s', (input, ms) => {
    expect(zDurationMs.parse(input)).toBe(ms);
  });

  it.each(['localhost:1', '127.0.0.1:0', '[::1]:8080'])('zListenAddress accepts loopback %s', (address) => {
    expect(zListenAddress.safeParse(address).success).toBe(true);
  });

  it.each(['0.0.0.0:50051', 'example.com:80', '127.0.0.1', '127.0.0.1:99999'])('zListenAddress rejects %s', (address) => {
    expect(zListenAddress.safeParse(address).success).toBe(false);
  });
});
