import { verify as edVerify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KeyDestroyedError,
  KeyNotFoundError,
  KmsRequestError,
  KmsUnavailableError,
  VaultTransitKms,
  WrappedKeyInvalidError,
  isRetryableKmsError,
} from '../../../src/kms';

/** Vault answering through node-vault's real client, from a scripted local HTTP server. */
type Handler = (req: IncomingMessage, body: unknown, res: ServerResponse) => void;

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('VaultTransitKms (scripted Vault)', () => {
  let server: Server;
  let address: string;
  let handler: Handler;
  const requests: Array<{ method: string; url: string; token: string | undefined; body: unknown }> = [];
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confide-vault-unit-'));
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body: unknown = raw ? JSON.parse(raw) : undefined;
        const token = req.headers['x-vault-token'];
        requests.push({ method: req.method!, url: req.url!, token: typeof token === 'string' ? token : undefined, body });
        handler(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    requests.length = 0;
  });

  const kmsWith = (h: Handler, extra: Partial<ConstructorParameters<typeof VaultTransitKms>[0]> = {}): VaultTransitKms => {
    handler = h;
    return new VaultTransitKms({ address, token: 's.test-token', mountPath: 'confide-transit', timeoutMs: 2000, ...extra });
  };

  it('calls the documented Transit paths under the configured mount with base64 payloads', async () => {
    const kms = kmsWith((_req, _body, res) =>
      json(res, 200, { data: { plaintext: Buffer.alloc(32, 1).toString('base64'), ciphertext: 'vault:v3:AAAA', signature: 'vault:v2:AAAA' } }),
    );
    const dk = await kms.generateDataKey('confide-tenant-a', 'ctx');
    expect(dk).toEqual({ plaintext: Buffer.alloc(32, 1), wrapped: 'vault:v3:AAAA', keyVersion: 3 });
    await kms.unwrapDataKey('confide-tenant-a', 'vault:v3:AAAA', 'ctx');
    await kms.rewrapDataKey('confide-tenant-a', 'vault:v3:AAAA', 'ctx');
    const sig = await kms.sign('confide-signing', Buffer.from('doc'));
    expect(sig).toEqual({ signature: 'vault:v2:AAAA', keyVersion: 2 });
    await kms.rotateKey('confide-tenant-a');

    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/confide-transit/datakey/plaintext/confide-tenant-a',
      'POST /v1/confide-transit/decrypt/confide-tenant-a',
      'POST /v1/confide-transit/rewrap/confide-tenant-a',
      'POST /v1/confide-transit/sign/confide-signing',
      'POST /v1/confide-transit/keys/confide-tenant-a/rotate',
    ]);
    expect(requests.every((r) => r.token === 's.test-token')).toBe(true);
    const derivation = (ctx: string): string => Buffer.from(`confide.kms.v1\0${ctx}`).toString('base64');
    expect(requests[0]!.body).toEqual({ bits: 256, context: derivation('ctx') });
    expect(requests[1]!.body).toEqual({ ciphertext: 'vault:v3:AAAA', context: derivation('ctx') });
    expect(requests[3]!.body).toEqual({ input: Buffer.from('doc').toString('base64') });
  });

  it('creates data-key keys with key derivation (the context binding) and refuses an existing key without it', async () => {
    const fresh = kmsWith((req, _body, res) => (req.method === 'GET' ? json(res, 404, { errors: [] }) : res.writeHead(204).end()));
    await fresh.createKey('confide-tenant-a', 'aes256-gcm96');
    await fresh.createKey('confide-signing', 'ed25519');
    expect(requests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
      { type: 'aes256-gcm96', derived: true, exportable: false, allow_plaintext_backup: false },
      { type: 'ed25519', derived: false, exportable: false, allow_plaintext_backup: false },
    ]);

    const legacy = kmsWith((_req, _body, res) => json(res, 200, { data: { type: 'aes256-gcm96', derived: false, keys: { '1': 1 } } }));
    await expect(legacy.createKey('confide-tenant-a', 'aes256-gcm96')).rejects.toThrow(/without key derivation/);
  });

  it('destroys a key by allowing deletion first, and treats a missing key as already destroyed', async () => {
    const kms = kmsWith((req, _body, res) => (req.method === 'DELETE' ? res.writeHead(204).end() : json(res, 200, {})));
    await kms.destroyKey('confide-tenant-a');
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/confide-transit/keys/confide-tenant-a/config',
      'DELETE /v1/confide-transit/keys/confide-tenant-a',
    ]);
    expect(requests[0]!.body).toEqual({ deletion_allowed: true });

    const gone = kmsWith((_req, _body, res) => json(res, 404, { errors: [] }));
    await expect(gone.destroyKey('confide-tenant-a')).resolves.toBeUndefined();
  });

  it.each([500, 502, 503, 429])('maps HTTP %i to a retryable KmsUnavailableError', async (status) => {
    const kms = kmsWith((_req, _body, res) => json(res, status, { errors: ['Vault is sealed'] }));
    const err = await kms.generateDataKey('confide-tenant-a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KmsUnavailableError);
    expect(isRetryableKmsError(err)).toBe(true);
  });

  it('maps a refused connection and a timeout to KmsUnavailableError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = new VaultTransitKms({ address: `http://127.0.0.1:${port}`, token: 't' });
    await expect(refused.generateDataKey('confide-tenant-a')).rejects.toThrow(KmsUnavailableError);
    await expect(refused.health()).resolves.toBe('unavailable');

    const silent = kmsWith(() => undefined, { timeoutMs: 100 }); // never answers
    await expect(silent.unwrapDataKey('confide-tenant-a', 'vault:v1:AAAA')).rejects.toThrow(KmsUnavailableError);
  });

  it('tells a missing key, a destroyed key and an invalid wrapped key apart', async () => {
    const notFound = kmsWith((_req, _body, res) => json(res, 400, { errors: ['encryption key not found'] }));
    const generate = notFound.generateDataKey('confide-tenant-a');
    await expect(generate).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(generate).rejects.not.toBeInstanceOf(KeyDestroyedError);
    // a Transit ciphertext exists for it, so the key existed: it was destroyed
    await expect(notFound.unwrapDataKey('confide-tenant-a', 'vault:v1:AAAA')).rejects.toBeInstanceOf(KeyDestroyedError);
    await expect(notFound.rewrapDataKey('confide-tenant-a', 'vault:v1:AAAA')).rejects.toBeInstanceOf(KeyDestroyedError);

    const authFailed = kmsWith((_req, _body, res) => json(res, 400, { errors: ['cipher: message authentication failed'] }));
    await expect(authFailed.unwrapDataKey('confide-tenant-a', 'vault:v1:AAAA')).rejects.toBeInstanceOf(WrappedKeyInvalidError);
    await expect(authFailed.unwrapDataKey('confide-tenant-a', 'local:v1:AAAA')).rejects.toBeInstanceOf(WrappedKeyInvalidError);
    expect(requests).toHaveLength(4); // the local: value never reached Vault

    const missing = kmsWith((_req, _body, res) => json(res, 404, { errors: [] }));
    await expect(missing.keyExists('confide-tenant-a')).resolves.toBe(false);
  });

  it('returns false from verify for a signature Transit cannot parse', async () => {
    const kms = kmsWith((_req, _body, res) => json(res, 400, { errors: ['invalid signature'] }));
    await expect(kms.verify('confide-signing', Buffer.from('doc'), 'vault:v1:AAAA')).resolves.toBe(false);
  });

  it('re-reads the token file once when Vault answers 403, and reports a lasting 403 as permission denied', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'old-token\n', { mode: 0o600 });
    handler = (req, _body, res) =>
      req.headers['x-vault-token'] === 'new-token' ? json(res, 200, { data: { valid: true } }) : json(res, 403, { errors: ['permission denied'] });
    const kms = new VaultTransitKms({ address, tokenFile });
    const denied = await kms.verify('confide-signing', Buffer.from('doc'), 'vault:v1:AAAA').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(KmsRequestError);
    expect((denied as KmsRequestError).kind).toBe('permission-denied');
    expect(String((denied as Error).message)).not.toContain('old-token');

    await writeFile(tokenFile, 'new-token\n');
    await expect(kms.verify('confide-signing', Buffer.from('doc'), 'vault:v1:AAAA')).resolves.toBe(true);
    expect(requests.map((r) => r.token)).toEqual(['old-token', 'old-token', 'new-token']);
  });

  it('reports health from sys/health: sealed or unreachable is unavailable', async () => {
    const ok = kmsWith((_req, _body, res) => json(res, 200, { initialized: true, sealed: false }));
    await expect(ok.health()).resolves.toBe('ok');
    const sealed = kmsWith((_req, _body, res) => json(res, 503, { initialized: true, sealed: true }));
    await expect(sealed.health()).resolves.toBe('unavailable');
  });

  it('lists public keys per version as PEM', async () => {
    const raw = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex'); // RFC 8032 test 1
    const kms = kmsWith((_req, _body, res) =>
      json(res, 200, {
        data: {
          type: 'ed25519',
          keys: {
            '2': { public_key: raw.toString('base64'), creation_time: '2026-01-02T00:00:00Z' },
            '1': { public_key: raw.toString('base64'), creation_time: '2026-01-01T00:00:00Z' },
          },
        },
      }),
    );
    const keys = await kms.publicKeys('confide-signing');
    expect(keys.map((k) => [k.version, k.createdAt])).toEqual([
      [1, '2026-01-01T00:00:00.000Z'],
      [2, '2026-01-02T00:00:00.000Z'],
    ]);
    expect(keys[0]!.publicKeyPem).toContain('-----BEGIN PUBLIC KEY-----');
    // RFC 8032 test 1: the empty message's signature verifies with the published PEM
    const rfcSignature = Buffer.from(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
      'hex',
    );
    expect(edVerify(null, Buffer.alloc(0), keys[0]!.publicKeyPem, rfcSignature)).toBe(true);
  });

  it('refuses plain http to a non-loopback address, a missing token and an escaping mount path', () => {
    expect(() => new VaultTransitKms({ address: 'http://vault.example:8200', token: 't' })).toThrow(/https/);
    expect(() => new VaultTransitKms({ address: 'https://vault.example:8200', token: 't' })).not.toThrow();
    expect(() => new VaultTransitKms({ address: 'http://127.0.0.1:8200' })).toThrow(/exactly one of token and tokenFile/);
    expect(() => new VaultTransitKms({ address: 'http://127.0.0.1:8200', token: 't', mountPath: '../sys' })).toThrow(/mount path/);
    const kms = new VaultTransitKms({ address: 'http://127.0.0.1:8200', token: 't' });
    return expect(kms.generateDataKey('../sys/seal')).rejects.toThrow(/invalid key name/);
  });
});
