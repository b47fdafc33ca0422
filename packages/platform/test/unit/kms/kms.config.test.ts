import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, createLogger, loadConfig } from '../../../src';
import {
  KMS_DEFAULTS,
  LocalKms,
  VaultTransitKms,
  createKmsFromConfig,
  keyRegistryEnvShape,
  keyringOptionsFromConfig,
  kmsEnvShape,
} from '../../../src/kms';

const schema = z.object({ ...kmsEnvShape, ...keyRegistryEnvShape });
const logger = createLogger({ service: 'kms-config-test', level: 'silent' });
const SECRET_TOKEN = 's.super-secret-token-value';

let dir: string;
let tokenFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confide-kms-config-'));
  tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${SECRET_TOKEN}\n`, { mode: 0o600 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The ConfigError thrown by `fn`, with its issues by variable. */
async function configError(fn: () => Promise<unknown>): Promise<{ error: ConfigError; issues: Record<string, string> }> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { error: err, issues: Object.fromEntries(err.issues.map((i) => [i.variable, i.problem])) };
  }
  throw new Error('expected a ConfigError');
}

describe('kmsEnvShape', () => {
  it('adds nothing to a parsed schema when unset; the documented defaults apply where used', () => {
    const config = loadConfig(schema, {});
    expect(Object.values(config).filter((v) => v !== undefined)).toEqual([]);
    expect(KMS_DEFAULTS).toEqual({
      KMS: 'vault',
      VAULT_TRANSIT_MOUNT: 'transit',
      VAULT_TIMEOUT: 5000,
      KMS_MEETING_KEY_TTL: 600_000,
      KMS_AUDIO_KEY_TTL: 120_000,
      KMS_HEALTH_INTERVAL: 2000,
    });
    expect(keyringOptionsFromConfig(config)).toEqual({ meetingKeyTtlMs: 600_000, audioKeyTtlMs: 120_000 });
    expect(keyringOptionsFromConfig(loadConfig(schema, { KMS_MEETING_KEY_TTL: '1s', KMS_AUDIO_KEY_TTL: '30s' }))).toEqual({
      meetingKeyTtlMs: 1000,
      audioKeyTtlMs: 30_000,
    });
  });

  it('parses durations and names the variable of a bad value without echoing it', () => {
    expect(loadConfig(schema, { KMS_MEETING_KEY_TTL: '250ms', VAULT_TIMEOUT: '2s' })).toMatchObject({ KMS_MEETING_KEY_TTL: 250, VAULT_TIMEOUT: 2000 });
    expect(() => loadConfig(schema, { KMS: 'aws-kms-secret' })).toThrow(/KMS:/);
    expect(() => loadConfig(schema, { KMS: 'aws-kms-secret' })).not.toThrow(/aws-kms-secret/);
    expect(() => loadConfig(schema, { KEY_REGISTRY_GRPC_ADDR: 'not-an-address-xyz' })).toThrow(/KEY_REGISTRY_GRPC_ADDR: must be host:port/);
    expect(() => loadConfig(schema, { KEY_REGISTRY_GRPC_ADDR: 'not-an-address-xyz' })).not.toThrow(/xyz/);
  });

  it('has no variable for a token value', () => {
    expect(Object.keys(kmsEnvShape).filter((k) => /TOKEN/.test(k))).toEqual(['VAULT_TOKEN_FILE']);
    expect(loadConfig(schema, { VAULT_TOKEN: SECRET_TOKEN })).not.toHaveProperty('VAULT_TOKEN');
  });
});

describe('createKmsFromConfig', () => {
  const base = loadConfig(schema, {});

  it('KMS=vault: a VaultTransitKms over the token file (no request made)', async () => {
    const kms = await createKmsFromConfig({ ...base, VAULT_ADDR: 'http://127.0.0.1:1', VAULT_TOKEN_FILE: tokenFile }, logger);
    expect(kms).toBeInstanceOf(VaultTransitKms);
    // Nothing listens there: the KMS is unavailable, not misconfigured.
    await expect(kms.health()).resolves.toBe('unavailable');
  });

  it('KMS=vault: names every missing variable', async () => {
    const { issues } = await configError(() => createKmsFromConfig(base, logger));
    expect(issues).toEqual({ VAULT_ADDR: 'is required when KMS=vault', VAULT_TOKEN_FILE: 'is required when KMS=vault' });
  });

  it('KMS=vault: refuses plain http to a remote host, credentials in the URL, unreadable files, bad mounts — never echoing values', async () => {
    const secretHost = 'http://vault.secret-host.example:8200';
    const { error, issues } = await configError(() =>
      createKmsFromConfig(
        {
          ...base,
          VAULT_ADDR: secretHost,
          VAULT_TOKEN_FILE: join(dir, 'missing-token-file'),
          VAULT_CA_FILE: join(dir, 'missing-ca-file'),
          VAULT_TRANSIT_MOUNT: '../sys',
        },
        logger,
      ),
    );
    expect(issues).toEqual({
      VAULT_ADDR: 'must be an https:// URL (plain http:// only to a loopback address)',
      VAULT_TOKEN_FILE: 'cannot be read (ENOENT)',
      VAULT_CA_FILE: 'cannot be read (ENOENT)',
      VAULT_TRANSIT_MOUNT: 'must be a mount path of [A-Za-z0-9_.-] segments',
    });
    expect(error.message).not.toMatch(/secret-host|missing-token-file|missing-ca-file/);

    const withPassword = await configError(() =>
      createKmsFromConfig({ ...base, VAULT_ADDR: `https://user:${SECRET_TOKEN}@vault.example`, VAULT_TOKEN_FILE: tokenFile }, logger),
    );
    expect(withPassword.issues).toEqual({ VAULT_ADDR: 'must not carry credentials (use VAULT_TOKEN_FILE)' });
    expect(withPassword.error.message).not.toContain(SECRET_TOKEN);

    const notUrl = await configError(() => createKmsFromConfig({ ...base, VAULT_ADDR: '127.0.0.1 8200', VAULT_TOKEN_FILE: tokenFile }, logger));
    expect(notUrl.issues).toEqual({ VAULT_ADDR: 'must be a URL (https://host:port)' });
  });

  it('KMS=vault: an empty token file or a CA file without a certificate is refused', async () => {
    const empty = join(dir, 'empty-token');
    const notPem = join(dir, 'not-pem');
    await writeFile(empty, '\n');
    await writeFile(notPem, 'hello');
    const { issues } = await configError(() =>
      createKmsFromConfig({ ...base, VAULT_ADDR: 'https://vault.example', VAULT_TOKEN_FILE: empty, VAULT_CA_FILE: notPem }, logger),
    );
    expect(issues).toEqual({ VAULT_TOKEN_FILE: 'names an empty file', VAULT_CA_FILE: 'does not hold a PEM certificate' });
  });

  it('KMS=local: a LocalKms in KMS_LOCAL_DIR, which is required', async () => {
    const { issues } = await configError(() => createKmsFromConfig({ ...base, KMS: 'local' }, logger));
    expect(issues).toEqual({ KMS_LOCAL_DIR: 'is required when KMS=local' });
    const kms = await createKmsFromConfig({ ...base, KMS: 'local', KMS_LOCAL_DIR: join(dir, 'local-kms') }, logger);
    expect(kms).toBeInstanceOf(LocalKms);
    await expect(kms.health()).resolves.toBe('ok');
  });

  it('KMS=local: a folder that cannot hold a keyring is a ConfigError naming KMS_LOCAL_DIR', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const { issues, error } = await configError(() => createKmsFromConfig({ ...base, KMS: 'local', KMS_LOCAL_DIR: join(file, 'sub') }, logger));
    expect(Object.keys(issues)).toEqual(['KMS_LOCAL_DIR']);
    expect(issues.KMS_LOCAL_DIR).toMatch(/^cannot be opened as a local keyring \(\w+\)$/);
    expect(error.message).not.toContain(dir);
  });
});
