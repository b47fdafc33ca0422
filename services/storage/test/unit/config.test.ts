import { loadConfig } from '@confide/platform';
import { join } from 'node:path';
import { defaultStateDir, storageConfigSchema } from '../../src/config';

describe('storage config', () => {
  it('defaults to the embedded database on a loopback listener', () => {
    const config = loadConfig(storageConfigSchema, {});
    expect(config).toMatchObject({ GRPC_ADDR: '127.0.0.1:50055', DATABASE_MIGRATE: true, EMBEDDED_POSTGRES_PORT: 0, DATABASE_POOL_SIZE: 10 });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('names a bad variable without echoing its value', () => {
    let message = '';
    try {
      loadConfig(storageConfigSchema, { DATABASE_URL: 'mysql://secret-password@db/x' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('secret-password');
  });

  it('takes a separate migration URL only with DATABASE_URL, without echoing it', () => {
    const config = loadConfig(storageConfigSchema, {
      DATABASE_URL: 'postgres://app:pw@db/confide',
      MIGRATION_DATABASE_URL: 'postgres://owner:pw@db/confide',
    });
    expect(config.MIGRATION_DATABASE_URL).toBe('postgres://owner:pw@db/confide');
    let message = '';
    try {
      loadConfig(storageConfigSchema, { MIGRATION_DATABASE_URL: 'postgres://owner:secret-password@db/confide' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('MIGRATION_DATABASE_URL');
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('secret-password');
  });

  it('puts the default state folder at the repository root', () => {
    expect(defaultStateDir(__dirname)).toBe(join(__dirname, '..', '..', '..', '..', '.state'));
  });
});
