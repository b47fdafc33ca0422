import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { EnvelopeCipher } from '../../../src/crypto';
import {
  DataKeyCache,
  KeyDestroyedError,
  KmsRequestError,
  VaultTransitKms,
  WrappedKeyInvalidError,
  type StoredDataKey,
  type WrappedKeyStore,
} from '../../../src/kms';
import { describeKmsContract } from '../../support/kms.contract';
import { INFRA_ENV_FILE, readInfraEnv } from '@confide/testing';

/**
 * The Kms contract against a real OpenBao / Vault with Transit: start it with
 * `bash scripts/infra/up.sh openbao` (writes .state/infra/env), or export VAULT_ADDR and
 * VAULT_TOKEN_FILE (VAULT_TRANSIT_MOUNT, default `transit`). Fails, never skips, when the
 * server is not there.
 */

function vaultEnv(): { address: string; tokenFile: string; mountPath: string } {
  const fromFile = readInfraEnv();
  const get = (name: string): string | undefined => process.env[name] ?? fromFile[name];
  const address = get('VAULT_ADDR');
  const tokenFile = get('VAULT_TOKEN_FILE');
  if (!address || !tokenFile) {
    throw new Error(
      `VAULT_ADDR and VAULT_TOKEN_FILE are not set and ${INFRA_ENV_FILE} does not provide them: ` +
        'start OpenBao with `bash scripts/infra/up.sh openbao` (or export both variables).',
    );
  }
  return { address, tokenFile, mountPath: get('VAULT_TRANSIT_MOUNT') ?? 'transit' };
}

async function connect(): Promise<VaultTransitKms> {
  const env = vaultEnv();
  if (!existsSync(env.tokenFile)) throw new Error(`VAULT_TOKEN_FILE ${env.tokenFile} does not exist (is OpenBao provisioned?)`);
  const kms = new VaultTransitKms({ ...env, timeoutMs: 10_000 });
  if ((await kms.health()) !== 'ok') {
    throw new Error(
      `OpenBao/Vault at ${env.address} is not reachable or is sealed: start it with \`bash scripts/infra/up.sh openbao\`.`,
    );
  }
  return kms;
}

const run = randomBytes(4).toString('hex');
describeKmsContract('VaultTransitKms (OpenBao)', async () => {
  const kms = await connect();
  return { kms, keyName: (base) => `confide-it-${run}-${base}`, cleanup: async () => undefined };
});

describe('VaultTransitKms against OpenBao', () => {
  it('reports permission denied for a token Vault does not know', async () => {
    await connect();
    const { address, mountPath } = vaultEnv();
    const stranger = new VaultTransitKms({ address, mountPath, token: `s.${randomBytes(12).toString('hex')}` });
    const err = await stranger.generateDataKey(`confide-it-${run}-stranger`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KmsRequestError);
    expect((err as KmsRequestError).kind).toBe('permission-denied');
  });
});

describe('DataKeyCache + EnvelopeCipher over OpenBao', () => {
  it('encrypts a record under a meeting key wrapped by a Transit tenant key, in two KMS calls', async () => {
    const kms = await connect();
    const tenantKey = `confide-it-${run}-tenant`;
    await kms.createKey(tenantKey, 'aes256-gcm96');
    try {
      const rows = new Map<string, StoredDataKey>();
      const store: WrappedKeyStore = {
        get: async (t, m) => rows.get(`${t}/${m}`),
        putIfAbsent: async (t, m, key) => {
          const row = rows.get(`${t}/${m}`) ?? { state: 'active' as const, ...key };
          rows.set(`${t}/${m}`, row);
          return row;
        },
      };
      const options = { kms, store, keyNameFor: () => tenantKey };
      const writer = new DataKeyCache(options);
      const reader = new DataKeyCache(options);
      const cipher = new EnvelopeCipher();
      const ctx = { tenant: 'acme', meeting: 'm-1', kind: 'segment', id: 's-1' };

      const dek = await writer.getOrCreate('acme', 'm-1');
      const blob = cipher.encrypt(Buffer.from('hello'), dek.plaintext, dek.keyName, dek.keyVersion, ctx);
      await writer.getOrCreate('acme', 'm-1');
      const readKey = await reader.get('acme', 'm-1');
      expect(cipher.decrypt(blob, readKey.plaintext, ctx).toString()).toBe('hello');
      expect(cipher.parseHeader(blob)).toMatchObject({ keyRef: tenantKey, keyVersion: 1 });
      expect(writer.stats().kmsCalls + reader.stats().kmsCalls).toBe(2);
      expect(rows.get('acme/m-1')).toMatchObject({ wrapped: expect.stringMatching(/^vault:v1:/) });

      rows.set('acme/m-2', rows.get('acme/m-1')!); // a wrapped key moved to another meeting
      await expect(reader.get('acme', 'm-2')).rejects.toBeInstanceOf(WrappedKeyInvalidError);

      await kms.destroyKey(tenantKey); // tenant erasure
      reader.clear();
      await expect(reader.get('acme', 'm-1')).rejects.toBeInstanceOf(KeyDestroyedError);
    } finally {
      await kms.destroyKey(tenantKey);
    }
  });
});
