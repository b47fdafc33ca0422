import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import nodeVault from 'node-vault';
import type { Logger } from 'pino';
import { ed25519RawToPem } from './ed25519';
import { assertKeyName, parseVersioned } from './key-names';
import {
  KeyDestroyedError,
  KeyNotFoundError,
  KmsRequestError,
  KmsUnavailableError,
  WrappedKeyInvalidError,
} from './kms.errors';
import type {
  GeneratedDataKey,
  Kms,
  KmsContext,
  KmsHealth,
  KmsKeyType,
  PublicKeyVersion,
  Signature,
} from './kms.port';

export interface VaultTransitKmsOptions {
  /** `https://vault.example:8200`; plain `http://` only to a loopback address. */
  address: string;
  /** The token itself, or ... */
  token?: string;
  /** ... a file holding it (e.g. a Vault agent sink); re-read once when Vault answers 403. */
  tokenFile?: string;
  /** Transit mount path, default `transit`. */
  mountPath?: string;
  /** Vault Enterprise / OpenBao namespace. */
  namespace?: string;
  /** Per-request timeout, default 5000 ms. A timeout is a `KmsUnavailableError`. */
  timeoutMs?: number;
  /** TLS: CA bundle (PEM) trusted for the Vault server, as a value or a file; client cert for mTLS. */
  tls?: { ca?: string | Buffer; caFile?: string; cert?: string | Buffer; key?: string | Buffer };
  logger?: Logger;
}

/** The client calls this adapter uses: node-vault's generic verbs. */
type VaultClient = Pick<nodeVault.client, 'read' | 'write' | 'delete' | 'token'>;

/** Which Transit operation a request is, for error translation. */
type Op = 'create' | 'read' | 'datakey' | 'decrypt' | 'rewrap' | 'rotate' | 'config' | 'delete' | 'sign' | 'verify';

interface TransitKeyData {
  type: string;
  derived?: boolean;
  latest_version?: number;
  keys: Record<string, number | { public_key?: string; creation_time?: string; name?: string }>;
}

const VAULT_SCHEME = 'vault';
const CONTEXT_LABEL = Buffer.from('confide.kms.v1\0', 'utf8');
const NOT_FOUND = /not found|no existing key|could not be found|does not exist/i;

/**
 * `Kms` over Vault / OpenBao Transit with node-vault's generic `read` / `write` / `delete`.
 * Keys are created non-exportable; data keys come from `datakey/plaintext` and only their
 * wrapped form is meant to be stored. Transit cannot tell a destroyed key from one that never
 * existed, so a well-formed `vault:v<N>:` wrapped key whose key is gone is reported as
 * `KeyDestroyedError` (its existence proves the key existed); other operations on a missing
 * key are `KeyNotFoundError`.
 */
export class VaultTransitKms implements Kms {
  private readonly client: VaultClient;
  private readonly mount: string;

  constructor(private readonly opts: VaultTransitKmsOptions) {
    const address = checkAddress(opts.address);
    if ((opts.token === undefined) === (opts.tokenFile === undefined)) {
      throw new KmsRequestError('VaultTransitKms: give exactly one of token and tokenFile', 'invalid-argument');
    }
    this.mount = checkMount(opts.mountPath ?? 'transit');
    const tls = opts.tls ?? {};
    const ca = tls.ca ?? (tls.caFile ? readFileSync(tls.caFile) : undefined);
    this.client = nodeVault({
      endpoint: address,
      token: this.readToken(),
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      // node-vault's own debug output would print request bodies (wrapped keys, signed data).
      debug: () => undefined,
      requestOptions: {
        timeout: opts.timeoutMs ?? 5000,
        // Always verify the server certificate (node-vault would honour VAULT_SKIP_VERIFY).
        strictSSL: true,
        ...(ca ? { ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
      },
    });
  }

  async createKey(name: string, type: KmsKeyType): Promise<void> {
    assertKeyName(name);
    if (type !== 'aes256-gcm96' && type !== 'ed25519') throw new KmsRequestError(`unsupported key type ${type}`, 'invalid-argument');
    const derived = type === 'aes256-gcm96';
    const existing = await this.readKey(name);
    if (existing) {
      if (existing.type !== type) throw new KmsRequestError(`key ${name} exists with type ${existing.type}`);
      // Without derivation Transit ignores the context: the binding would silently vanish.
      if (derived && existing.derived !== true) throw new KmsRequestError(`key ${name} exists without key derivation`);
      return;
    }
    await this.request('create', name, (c) =>
      c.write(this.path('keys', name), { type, derived, exportable: false, allow_plaintext_backup: false }),
    );
    this.opts.logger?.info({ keyName: name, keyType: type }, 'kms key created');
  }

  async keyExists(name: string): Promise<boolean> {
    assertKeyName(name);
    return (await this.readKey(name)) !== undefined;
  }

  async generateDataKey(keyName: string, context?: KmsContext): Promise<GeneratedDataKey> {
    assertKeyName(keyName);
    const res = await this.request('datakey', keyName, (c) =>
      c.write(this.path('datakey/plaintext', keyName), { bits: 256, ...contextFields(context) }),
    );
    const data = res?.data as { plaintext?: string; ciphertext?: string } | undefined;
    const parsed = data?.ciphertext ? parseVersioned(data.ciphertext) : undefined;
    const plaintext = data?.plaintext ? Buffer.from(data.plaintext, 'base64') : undefined;
    if (!parsed || !plaintext || plaintext.length !== 32) throw new KmsUnavailableError('transit datakey: unexpected response');
    return { plaintext, wrapped: data!.ciphertext!, keyVersion: parsed.version };
  }

  async unwrapDataKey(keyName: string, wrapped: string, context?: KmsContext): Promise<Buffer> {
    assertKeyName(keyName);
    assertVaultWrapped(keyName, wrapped);
    const res = await this.request('decrypt', keyName, (c) =>
      c.write(this.path('decrypt', keyName), { ciphertext: wrapped, ...contextFields(context) }),
    );
    const plaintext = Buffer.from((res?.data as { plaintext?: string } | undefined)?.plaintext ?? '', 'base64');
    if (plaintext.length !== 32) throw new WrappedKeyInvalidError(keyName, 'not a 256-bit data key');
    return plaintext;
  }

  async rewrapDataKey(keyName: string, wrapped: string, context?: KmsContext): Promise<string> {
    assertKeyName(keyName);
    assertVaultWrapped(keyName, wrapped);
    const res = await this.request('rewrap', keyName, (c) =>
      c.write(this.path('rewrap', keyName), { ciphertext: wrapped, ...contextFields(context) }),
    );
    const ciphertext = (res?.data as { ciphertext?: string } | undefined)?.ciphertext;
    if (!ciphertext || !parseVersioned(ciphertext)) throw new KmsUnavailableError('transit rewrap: unexpected response');
    return ciphertext;
  }

  async rotateKey(name: string): Promise<void> {
    assertKeyName(name);
    await this.request('rotate', name, (c) => c.write(this.path('keys', name, 'rotate'), {}));
    this.opts.logger?.info({ keyName: name }, 'kms key rotated');
  }

  async destroyKey(name: string): Promise<void> {
    assertKeyName(name);
    try {
      await this.request('config', name, (c) => c.write(this.path('keys', name, 'config'), { deletion_allowed: true }));
    } catch (err) {
      if (err instanceof KeyNotFoundError) return; // already gone: destruction is idempotent
      throw err;
    }
    try {
      await this.request('delete', name, (c) => c.delete(this.path('keys', name)));
    } catch (err) {
      if (!(err instanceof KeyNotFoundError)) throw err;
    }
    this.opts.logger?.info({ keyName: name }, 'kms key destroyed');
  }

  async sign(keyName: string, data: Buffer): Promise<Signature> {
    assertKeyName(keyName);
    const res = await this.request('sign', keyName, (c) =>
      c.write(this.path('sign', keyName), { input: data.toString('base64') }),
    );
    const signature = (res?.data as { signature?: string } | undefined)?.signature;
    const parsed = signature ? parseVersioned(signature) : undefined;
    if (!parsed) throw new KmsUnavailableError('transit sign: unexpected response');
    return { signature: signature!, keyVersion: parsed.version };
  }

  async verify(keyName: string, data: Buffer, signature: string): Promise<boolean> {
    assertKeyName(keyName);
    const parsed = parseVersioned(signature);
    if (!parsed || parsed.scheme !== VAULT_SCHEME) {
      await this.requireKey(keyName); // a missing key is still an error, not "invalid"
      return false;
    }
    try {
      const res = await this.request('verify', keyName, (c) =>
        c.write(this.path('verify', keyName), { input: data.toString('base64'), signature }),
      );
      return (res?.data as { valid?: boolean } | undefined)?.valid === true;
    } catch (err) {
      // Transit answers 400 to a signature it cannot parse or whose version does not exist.
      if (err instanceof WrappedKeyInvalidError) return false;
      throw err;
    }
  }

  async publicKeys(keyName: string): Promise<PublicKeyVersion[]> {
    const key = await this.requireKey(keyName);
    if (key.type !== 'ed25519') throw new KmsRequestError(`key ${keyName} is ${key.type}; the operation needs ed25519`);
    return Object.entries(key.keys)
      .map(([version, entry]) => {
        if (typeof entry !== 'object' || !entry.public_key) throw new KmsUnavailableError('transit keys: no public key');
        return {
          version: Number(version),
          publicKeyPem: ed25519RawToPem(entry.public_key),
          publicKeyBase64: entry.public_key,
          createdAt: entry.creation_time ? new Date(entry.creation_time).toISOString() : '',
        };
      })
      .sort((a, b) => a.version - b.version);
  }

  async health(): Promise<KmsHealth> {
    try {
      // node-vault resolves sys/health with the body whatever the status (429 standby, 503 sealed, ...).
      const body = (await this.client.read('sys/health')) as { initialized?: boolean; sealed?: boolean } | undefined;
      return body?.initialized === true && body.sealed === false ? 'ok' : 'unavailable';
    } catch {
      return 'unavailable';
    }
  }

  // ------------------------------------------------------------------ internals

  private path(...parts: string[]): string {
    return [this.mount, ...parts].join('/');
  }

  private readToken(): string {
    if (this.opts.token !== undefined) return this.opts.token;
    const token = readFileSync(this.opts.tokenFile!, 'utf8').trim();
    if (!token) throw new KmsRequestError(`VaultTransitKms: the token file is empty`, 'invalid-argument');
    return token;
  }

  private async readKey(name: string): Promise<TransitKeyData | undefined> {
    try {
      const res = await this.request('read', name, (c) => c.read(this.path('keys', name)));
      return res?.data as TransitKeyData;
    } catch (err) {
      if (err instanceof KeyNotFoundError) return undefined;
      throw err;
    }
  }

  private async requireKey(name: string): Promise<TransitKeyData> {
    assertKeyName(name);
    const key = await this.readKey(name);
    if (!key) throw new KeyNotFoundError(name);
    return key;
  }

  /** One Transit call with errors translated; a 403 with a token file re-reads it once. */
  private async request<T>(op: Op, keyName: string, fn: (client: VaultClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client);
    } catch (err) {
      if (statusOf(err) === 403 && this.opts.tokenFile !== undefined && this.reloadToken()) {
        try {
          return await fn(this.client);
        } catch (retryErr) {
          throw translate(op, keyName, retryErr);
        }
      }
      throw translate(op, keyName, err);
    }
  }

  /** True when the token file now holds another token. */
  private reloadToken(): boolean {
    try {
      const token = this.readToken();
      if (token === this.client.token) return false;
      this.client.token = token;
      this.opts.logger?.info('vault token reloaded from its file');
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Transit's `datakey` and `rewrap` take no `associated_data`, so the context is bound through
 * key derivation: data-key keys are created `derived`, and every datakey / decrypt / rewrap
 * carries a derivation context. It is never empty (Transit requires one for derived keys):
 * a fixed label, then the caller's context, so "no context" is a context of its own.
 */
function contextFields(context?: KmsContext): Record<string, string> {
  const bytes = Buffer.concat([CONTEXT_LABEL, context === undefined ? Buffer.alloc(0) : Buffer.from(context)]);
  return { context: bytes.toString('base64') };
}

function assertVaultWrapped(keyName: string, wrapped: string): void {
  const parsed = parseVersioned(wrapped);
  if (!parsed || parsed.scheme !== VAULT_SCHEME) throw new WrappedKeyInvalidError(keyName, 'not a Transit ciphertext');
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { response?: { statusCode?: unknown } } | undefined)?.response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function vaultMessage(err: unknown): string {
  const body = (err as { response?: { body?: { errors?: unknown } } }).response?.body;
  const errors = Array.isArray(body?.errors) ? body.errors.filter((e): e is string => typeof e === 'string') : [];
  return errors.join('; ');
}

/** Maps a node-vault / axios failure to the port's errors (no bodies, tokens or data in messages). */
function translate(op: Op, keyName: string, err: unknown): Error {
  const status = statusOf(err);
  if (status === undefined) {
    const code = (err as { code?: unknown } | undefined)?.code;
    return new KmsUnavailableError(`vault ${op}: ${typeof code === 'string' ? code : 'request failed'}`);
  }
  if (status >= 500 || status === 429 || status === 412) return new KmsUnavailableError(`vault ${op}: HTTP ${status}`);
  if (status === 403) return new KmsRequestError(`vault ${op} on ${keyName}: permission denied`, 'permission-denied');
  const message = vaultMessage(err);
  if (status === 404 || (status === 400 && NOT_FOUND.test(message) && !/version/i.test(message))) {
    return op === 'decrypt' || op === 'rewrap' ? new KeyDestroyedError(keyName) : new KeyNotFoundError(keyName);
  }
  if (status === 400 && (op === 'decrypt' || op === 'rewrap' || op === 'verify')) {
    return new WrappedKeyInvalidError(keyName);
  }
  return new KmsRequestError(`vault ${op} on ${keyName}: HTTP ${status}${message ? ` (${truncate(message)})` : ''}`);
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function checkAddress(address: string): string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new KmsRequestError('VaultTransitKms: address is not a URL', 'invalid-argument');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new KmsRequestError('VaultTransitKms: address must be https:// (plain http only on loopback)', 'invalid-argument');
  }
  return address.replace(/\/+$/, '');
}

function checkMount(mount: string): string {
  const trimmed = mount.replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(trimmed) || trimmed.split('/').includes('..')) {
    throw new KmsRequestError('VaultTransitKms: invalid mount path', 'invalid-argument');
  }
  return trimmed;
}
