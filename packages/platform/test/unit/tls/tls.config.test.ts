import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';
import {
  type TlsSettings,
  ConfigError,
  loadConfig,
  loadTlsSettings,
  refineTlsEnv,
  spiffeIdFromSubjectAltName,
  tlsEnvShape,
  zTlsConfig,
  zTlsListenAddress,
} from '../../../src';
import { makeDevCerts, runDevCertsScript, type DevCerts } from './dev-certs';

let certs: DevCerts;
beforeAll(() => {
  certs = makeDevCerts('confide-tls-unit-', ['storage', 'gateway']);
});
afterAll(() => certs.remove());

const serviceSchema = z
  .object({ GRPC_ADDR: zTlsListenAddress.default('127.0.0.1:50055'), ...tlsEnvShape })
  .superRefine(refineTlsEnv({ listenAddressVariables: ['GRPC_ADDR'] }));

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('TLS configuration schema', () => {
  it('is optional: no TLS variables, loopback listener', () => {
    expect(loadConfig(serviceSchema, {})).toEqual({ GRPC_ADDR: '127.0.0.1:50055' });
    expect(loadConfig(zTlsConfig, {})).toEqual({});
  });

  it('needs the certificate and the key together, and both for the CA', () => {
    expect(configError(() => loadConfig(zTlsConfig, { TLS_CERT_FILE: '/x/cert.pem' })).issues).toEqual([
      { variable: 'TLS_CERT_FILE', problem: 'needs TLS_KEY_FILE as well' },
    ]);
    expect(configError(() => loadConfig(zTlsConfig, { TLS_KEY_FILE: '/x/key.pem' })).issues).toEqual([
      { variable: 'TLS_KEY_FILE', problem: 'needs TLS_CERT_FILE as well' },
    ]);
    const caOnly = configError(() => loadConfig(zTlsConfig, { TLS_CA_FILE: '/x/ca.pem' }));
    expect(caOnly.issues.map((i) => i.variable)).toEqual(['TLS_CA_FILE']);
    expect(caOnly.issues[0]?.problem).toMatch(/needs TLS_CERT_FILE and TLS_KEY_FILE/);
  });

  it('refuses a plaintext listener outside loopback and accepts it with TLS', () => {
    const err = configError(() => loadConfig(serviceSchema, { GRPC_ADDR: '0.0.0.0:50055' }));
    expect(err.issues).toEqual([
      { variable: 'GRPC_ADDR', problem: 'host must be loopback unless TLS is configured (set TLS_CERT_FILE and TLS_KEY_FILE)' },
    ]);
    expect(err.message).not.toContain('0.0.0.0');
    const withTls = loadConfig(serviceSchema, { GRPC_ADDR: '0.0.0.0:50055', TLS_CERT_FILE: '/c.pem', TLS_KEY_FILE: '/k.pem' });
    expect(withTls.GRPC_ADDR).toBe('0.0.0.0:50055');
    expect(() => loadConfig(serviceSchema, { GRPC_ADDR: 'not-an-address' })).toThrow(/GRPC_ADDR: must be host:port/);
  });
});

describe('loadTlsSettings', () => {
  const env = () => ({
    TLS_CERT_FILE: certs.service('storage').cert,
    TLS_KEY_FILE: certs.service('storage').key,
    TLS_CA_FILE: certs.ca.cert,
  });

  it('is undefined without TLS variables', () => {
    expect(loadTlsSettings({})).toBeUndefined();
  });

  it('reads the certificate, key and CA, and names the service identity', () => {
    const settings = loadTlsSettings(env()) as TlsSettings;
    expect(settings.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(settings.key.toString()).toContain('PRIVATE KEY');
    expect(settings.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(settings.mutual).toBe(true);
    expect(settings.identity).toBe('spiffe://confide/storage');
    const withoutCa = loadTlsSettings({ ...env(), TLS_CA_FILE: undefined }) as TlsSettings;
    expect(withoutCa.mutual).toBe(false);
    expect(withoutCa.ca).toBeUndefined();
  });

  it('never shows the private key in JSON, inspect or object keys', () => {
    const settings = loadTlsSettings(env()) as TlsSettings;
    const keyPem = readFileSync(certs.service('storage').key, 'utf8');
    const keyBody = keyPem.split('\n')[1] as string;
    expect(JSON.stringify(settings)).toBe('{"mutual":true,"identity":"spiffe://confide/storage"}');
    expect(inspect(settings, { depth: 5 })).not.toContain(keyBody);
    expect(inspect(settings)).not.toContain('PRIVATE');
    expect(Object.keys(settings)).not.toContain('key');
    expect(JSON.stringify({ ...settings })).not.toContain(keyBody);
  });

  it('a missing key file is an error naming TLS_KEY_FILE, never the path or contents', () => {
    const missing = join(certs.dir, 'does-not-exist.key');
    const err = configError(() => loadTlsSettings({ ...env(), TLS_KEY_FILE: missing }));
    expect(err.issues).toEqual([{ variable: 'TLS_KEY_FILE', problem: 'file not found' }]);
    expect(err.message).toBe('invalid configuration: TLS_KEY_FILE: file not found');
    expect(err.message).not.toContain(certs.dir);
  });

  it('names every unreadable file at once', () => {
    const err = configError(() => loadTlsSettings({ TLS_CERT_FILE: certs.dir, TLS_KEY_FILE: join(certs.dir, 'nope'), TLS_CA_FILE: join(certs.dir, 'nope2') }));
    expect(err.issues).toEqual([
      { variable: 'TLS_CERT_FILE', problem: 'is a directory, not a file' },
      { variable: 'TLS_KEY_FILE', problem: 'file not found' },
      { variable: 'TLS_CA_FILE', problem: 'file not found' },
    ]);
  });

  it('refuses a key file that is not a key, without echoing what it holds', () => {
    const err = configError(() => loadTlsSettings({ ...env(), TLS_KEY_FILE: certs.service('storage').cert }));
    expect(err.issues).toEqual([{ variable: 'TLS_KEY_FILE', problem: 'not an unencrypted PEM private key' }]);
    const certBody = readFileSync(certs.service('storage').cert, 'utf8').split('\n')[1] as string;
    expect(err.message).not.toContain(certBody);
  });

  it('refuses a certificate file that is not a certificate', () => {
    const err = configError(() => loadTlsSettings({ ...env(), TLS_CERT_FILE: certs.service('storage').key }));
    expect(err.issues.map((i) => i.variable)).toEqual(['TLS_CERT_FILE']);
    expect(err.issues[0]?.problem).toBe('not a PEM certificate');
    expect(err.message).not.toContain('PRIVATE');
  });

  it('refuses a key that does not belong to the certificate', () => {
    const other = join(certs.dir, 'other.key');
    writeFileSync(other, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const err = configError(() => loadTlsSettings({ ...env(), TLS_KEY_FILE: other }));
    expect(err.issues).toEqual([{ variable: 'TLS_KEY_FILE', problem: 'does not belong to the certificate in TLS_CERT_FILE' }]);
  });

  it('refuses an empty file and a CA file that is not a CA', () => {
    const empty = join(certs.dir, 'empty.pem');
    writeFileSync(empty, '');
    expect(configError(() => loadTlsSettings({ ...env(), TLS_CA_FILE: empty })).issues).toEqual([{ variable: 'TLS_CA_FILE', problem: 'file is empty' }]);
    expect(configError(() => loadTlsSettings({ ...env(), TLS_CA_FILE: certs.service('gateway').cert })).issues).toEqual([
      { variable: 'TLS_CA_FILE', problem: 'is not a CA certificate (basicConstraints CA:TRUE)' },
    ]);
  });

  it('refuses an expired or not yet valid certificate', () => {
    const future = new Date(Date.UTC(2200, 0, 1));
    const expired = configError(() => loadTlsSettings(env(), future));
    expect(expired.issues).toEqual([
      { variable: 'TLS_CERT_FILE', problem: 'certificate has expired' },
      { variable: 'TLS_CA_FILE', problem: 'certificate has expired' },
    ]);
    const past = new Date(Date.UTC(2000, 0, 1));
    expect(configError(() => loadTlsSettings({ ...env(), TLS_CA_FILE: undefined }, past)).issues).toEqual([
      { variable: 'TLS_CERT_FILE', problem: 'certificate is not valid yet' },
    ]);
  });

  it('repeats the pairing checks for callers that skipped the schema', () => {
    expect(configError(() => loadTlsSettings({ TLS_CERT_FILE: certs.service('storage').cert })).issues).toEqual([
      { variable: 'TLS_CERT_FILE', problem: 'needs TLS_KEY_FILE as well' },
    ]);
  });
});

describe('scripts/certs/dev.sh', () => {
  it('writes 0600 keys, keeps the CA on a second run and replaces it with --force', () => {
    expect(statSync(certs.ca.key).mode & 0o777).toBe(0o600);
    expect(statSync(certs.service('storage').key).mode & 0o777).toBe(0o600);
    expect(statSync(certs.dir).mode & 0o777).toBe(0o700);
    const ca = readFileSync(certs.ca.cert, 'utf8');
    const leaf = readFileSync(certs.service('storage').cert, 'utf8');
    const again = runDevCertsScript(certs.dir, ['storage', 'gateway']);
    expect(again).toContain('keeping CA');
    expect(readFileSync(certs.ca.cert, 'utf8')).toBe(ca);
    expect(readFileSync(certs.service('storage').cert, 'utf8')).toBe(leaf);
    expect(again).not.toMatch(/PRIVATE KEY/);
    const forced = runDevCertsScript(certs.dir, ['--force', 'storage', 'gateway']);
    expect(forced).toContain('created CA');
    expect(readFileSync(certs.ca.cert, 'utf8')).not.toBe(ca);
    // The reissued certificates chain to the new CA.
    expect((loadTlsSettings({ TLS_CERT_FILE: certs.service('storage').cert, TLS_KEY_FILE: certs.service('storage').key, TLS_CA_FILE: certs.ca.cert }) as TlsSettings).identity).toBe(
      'spiffe://confide/storage',
    );
  });
});

describe('spiffeIdFromSubjectAltName', () => {
  it('finds the spiffe URI among the SANs', () => {
    expect(spiffeIdFromSubjectAltName('DNS:localhost, IP Address:127.0.0.1, URI:spiffe://confide/gateway')).toBe('spiffe://confide/gateway');
    expect(spiffeIdFromSubjectAltName('DNS:localhost, URI:https://example.com')).toBeUndefined();
    expect(spiffeIdFromSubjectAltName(undefined)).toBeUndefined();
  });
});
