import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign as edSign,
  verify as edVerify,
} from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../runtime/clock';
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

export interface LocalKmsOptions {
  /** Directory of `master.key` and `keyring.enc` (created 0700 if missing). */
  dir: string;
  logger?: Logger;
  clock?: Clock;
}

/** The local KMS could not start (permissions, a missing or foreign master key, a corrupt keyring). */
export class LocalKmsStartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalKmsStartupError';
  }
}

interface KeyVersionRecord {
  version: number;
  createdAt: string;
  /** base64: the 32-byte AES key, or the ed25519 private key as PKCS#8 DER. */
  material: string;
  /** base64 raw ed25519 public key (ed25519 only). */
  publicKey?: string;
}

interface KeyRecord {
  type: KmsKeyType;
  createdAt: string;
  versions: KeyVersionRecord[];
}

interface Keyring {
  keys: Map<string, KeyRecord>;
  /** name -> destruction time: tells "destroyed" apart from "never existed". */
  destroyed: Map<string, string>;
}

const MASTER_KEY_FILE = 'master.key';
const KEYRING_FILE = 'keyring.enc';
const KEYRING_MAGIC = Buffer.from('CFKR', 'latin1');
const KEYRING_FORMAT = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SCHEME = 'local';

/**
 * A file-backed keyring for the all-in-one default (one machine, one process): Transit's
 * semantics (versions, rotation, rewrap, destruction, ed25519 signing) without a Vault.
 *
 * - `master.key`: 32 random bytes generated on first start, mode 0600; start is refused when
 *   it is readable by group or others.
 * - `keyring.enc`: the keyring JSON, AES-256-GCM under the master key, replaced atomically
 *   (temp file + fsync + rename + directory fsync) on every change.
 * - Data keys are wrapped with AES-256-GCM under a key version: `local:v<N>:<base64>`, the
 *   key name, version and optional context bound as additional data.
 *
 * Limits (docs/adr/0003-envelope-encryption.md): the master key sits next to the keyring, so
 * protection at rest is the file permissions; destroyed keys stay recoverable from a backup or
 * an old copy of the directory; one process per directory.
 */
export class LocalKms implements Kms {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly masterKey: Buffer,
    private keyring: Keyring,
    private readonly logger: Logger | undefined,
    private readonly clock: Clock,
  ) {}

  /** Opens (or on first start creates) the keyring in `opts.dir`. */
  static async open(opts: LocalKmsOptions): Promise<LocalKms> {
    const dir = opts.dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const masterKey = await loadOrCreateMasterKey(dir);
    const keyring = await loadKeyring(dir, masterKey);
    return new LocalKms(dir, masterKey, keyring, opts.logger, opts.clock ?? systemClock);
  }

  async createKey(name: string, type: KmsKeyType): Promise<void> {
    assertKeyName(name);
    assertKeyType(type);
    await this.mutate((ring) => {
      const existing = ring.keys.get(name);
      if (existing) {
        if (existing.type !== type) throw new KmsRequestError(`key ${name} exists with type ${existing.type}`);
        return false;
      }
      // Erasure is final: a destroyed name is not silently brought back (Transit cannot tell).
      if (ring.destroyed.has(name)) throw new KeyDestroyedError(name);
      ring.keys.set(name, { type, createdAt: this.nowIso(), versions: [this.newVersion(type, 1)] });
      return true;
    });
    this.logger?.info({ keyName: name, keyType: type }, 'kms key created');
  }

  async keyExists(name: string): Promise<boolean> {
    assertKeyName(name);
    return this.keyring.keys.has(name);
  }

  async generateDataKey(keyName: string, context?: KmsContext): Promise<GeneratedDataKey> {
    const key = this.requireKey(keyName, 'aes256-gcm96');
    const latest = key.versions[key.versions.length - 1]!;
    const plaintext = randomBytes(32);
    return { plaintext, wrapped: this.wrap(keyName, latest, plaintext, context), keyVersion: latest.version };
  }

  async unwrapDataKey(keyName: string, wrapped: string, context?: KmsContext): Promise<Buffer> {
    const key = this.requireKey(keyName, 'aes256-gcm96');
    return this.unwrap(keyName, key, wrapped, context);
  }

  async rewrapDataKey(keyName: string, wrapped: string, context?: KmsContext): Promise<string> {
    const key = this.requireKey(keyName, 'aes256-gcm96');
    const plaintext = this.unwrap(keyName, key, wrapped, context);
    try {
      return this.wrap(keyName, key.versions[key.versions.length - 1]!, plaintext, context);
    } finally {
      plaintext.fill(0);
    }
  }

  async rotateKey(name: string): Promise<void> {
    assertKeyName(name);
    let version = 0;
    await this.mutate((ring) => {
      const key = ring.keys.get(name);
      if (!key) throw missingKey(ring, name);
      version = key.versions[key.versions.length - 1]!.version + 1;
      ring.keys.set(name, { ...key, versions: [...key.versions, this.newVersion(key.type, version)] });
      return true;
    });
    this.logger?.info({ keyName: name, keyVersion: version }, 'kms key rotated');
  }

  async destroyKey(name: string): Promise<void> {
    assertKeyName(name);
    const changed = await this.mutate((ring) => {
      if (!ring.keys.has(name) && ring.destroyed.has(name)) return false;
      ring.keys.delete(name);
      ring.destroyed.set(name, this.nowIso());
      return true;
    });
    if (changed) this.logger?.info({ keyName: name }, 'kms key destroyed');
  }

  async sign(keyName: string, data: Buffer): Promise<Signature> {
    const key = this.requireKey(keyName, 'ed25519');
    const latest = key.versions[key.versions.length - 1]!;
    const privateKey = createPrivateKey({ key: Buffer.from(latest.material, 'base64'), format: 'der', type: 'pkcs8' });
    const signature = edSign(null, data, privateKey);
    return { signature: `${SCHEME}:v${latest.version}:${signature.toString('base64')}`, keyVersion: latest.version };
  }

  async verify(keyName: string, data: Buffer, signature: string): Promise<boolean> {
    const key = this.requireKey(keyName, 'ed25519');
    const parsed = parseVersioned(signature);
    if (!parsed || parsed.scheme !== SCHEME) return false;
    const version = key.versions.find((v) => v.version === parsed.version);
    if (!version?.publicKey) return false;
    const sig = Buffer.from(parsed.payload, 'base64');
    if (sig.length !== 64) return false;
    return edVerify(null, data, ed25519RawToPem(version.publicKey), sig);
  }

  async publicKeys(keyName: string): Promise<PublicKeyVersion[]> {
    const key = this.requireKey(keyName, 'ed25519');
    return key.versions.map((v) => ({
      version: v.version,
      publicKeyPem: ed25519RawToPem(v.publicKey!),
      publicKeyBase64: v.publicKey!,
      createdAt: v.createdAt,
    }));
  }

  async health(): Promise<KmsHealth> {
    try {
      await access(join(this.dir, MASTER_KEY_FILE), fsConstants.R_OK);
      return 'ok';
    } catch {
      return 'unavailable';
    }
  }

  // ------------------------------------------------------------------ internals

  private requireKey(name: string, type: KmsKeyType): KeyRecord {
    assertKeyName(name);
    const key = this.keyring.keys.get(name);
    if (!key) throw missingKey(this.keyring, name);
    if (key.type !== type) throw new KmsRequestError(`key ${name} is ${key.type}; the operation needs ${type}`);
    return key;
  }

  private wrap(keyName: string, version: KeyVersionRecord, plaintext: Buffer, context?: KmsContext): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(version.material, 'base64'), nonce);
    cipher.setAAD(wrapAad(keyName, version.version, context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `${SCHEME}:v${version.version}:${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`;
  }

  private unwrap(keyName: string, key: KeyRecord, wrapped: string, context?: KmsContext): Buffer {
    const parsed = parseVersioned(wrapped);
    if (!parsed || parsed.scheme !== SCHEME) throw new WrappedKeyInvalidError(keyName, 'not a local wrapped key');
    const version = key.versions.find((v) => v.version === parsed.version);
    if (!version) throw new WrappedKeyInvalidError(keyName, `key version ${parsed.version} does not exist`);
    const raw = Buffer.from(parsed.payload, 'base64');
    if (raw.length !== NONCE_BYTES + 32 + TAG_BYTES) throw new WrappedKeyInvalidError(keyName, 'malformed');
    try {
      const decipher = createDecipheriv('aes-256-gcm', Buffer.from(version.material, 'base64'), raw.subarray(0, NONCE_BYTES));
      decipher.setAAD(wrapAad(keyName, version.version, context));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new WrappedKeyInvalidError(keyName);
    }
  }

  private newVersion(type: KmsKeyType, version: number): KeyVersionRecord {
    const createdAt = this.nowIso();
    if (type === 'aes256-gcm96') return { version, createdAt, material: randomBytes(32).toString('base64') };
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return {
      version,
      createdAt,
      material: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64'),
    };
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /**
   * Runs one change at a time on a copy of the keyring; the copy becomes current only once it
   * is durably written, so a failed write leaves memory and disk as they were.
   */
  private mutate(change: (ring: Keyring) => boolean): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      const next: Keyring = { keys: new Map(this.keyring.keys), destroyed: new Map(this.keyring.destroyed) };
      if (!change(next)) return false;
      try {
        await writeKeyring(this.dir, this.masterKey, next);
      } catch (err) {
        throw new KmsUnavailableError(`local keyring could not be written: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      this.keyring = next;
      return true;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function assertKeyType(type: string): asserts type is KmsKeyType {
  if (type !== 'aes256-gcm96' && type !== 'ed25519') throw new KmsRequestError(`unsupported key type ${type}`, 'invalid-argument');
}

function missingKey(ring: Keyring, name: string): KeyNotFoundError {
  return ring.destroyed.has(name) ? new KeyDestroyedError(name) : new KeyNotFoundError(name);
}

/** Length-prefixed (u32 BE) fields, so no two (name, version, context) tuples share bytes. */
function wrapAad(keyName: string, version: number, context?: KmsContext): Buffer {
  const fields = [
    Buffer.from('confide-local-dek-v1'),
    Buffer.from(keyName),
    Buffer.from(String(version)),
    context === undefined ? Buffer.alloc(0) : Buffer.from(context),
  ];
  return Buffer.concat(
    fields.flatMap((f) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(f.length);
      return [len, f];
    }),
  );
}

// ------------------------------------------------------------------ files

async function loadOrCreateMasterKey(dir: string): Promise<Buffer> {
  const file = join(dir, MASTER_KEY_FILE);
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (await exists(join(dir, KEYRING_FILE))) {
      throw new LocalKmsStartupError(`${file} is missing but ${KEYRING_FILE} exists: refusing to create a new master key`);
    }
    await createMasterKey(file);
    info = await stat(file);
  }
  if (!info.isFile()) throw new LocalKmsStartupError(`${file} is not a regular file`);
  if ((info.mode & 0o077) !== 0) {
    throw new LocalKmsStartupError(
      `${file} is accessible by group or others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 on it`,
    );
  }
  const key = await readFile(file);
  if (key.length !== 32) throw new LocalKmsStartupError(`${file} is not a 32-byte master key`);
  return key;
}

/** Writes a fresh master key without ever replacing an existing one (link fails on EEXIST). */
async function createMasterKey(file: string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeDurably(tmp, randomBytes(32));
    try {
      await link(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await syncDir(dirname(file));
}

async function loadKeyring(dir: string, masterKey: Buffer): Promise<Keyring> {
  const file = join(dir, KEYRING_FILE);
  let blob: Buffer;
  try {
    blob = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { keys: new Map(), destroyed: new Map() };
    throw err;
  }
  const headerLength = KEYRING_MAGIC.length + 1;
  if (
    blob.length < headerLength + NONCE_BYTES + TAG_BYTES ||
    !blob.subarray(0, KEYRING_MAGIC.length).equals(KEYRING_MAGIC) ||
    blob[KEYRING_MAGIC.length] !== KEYRING_FORMAT
  ) {
    throw new LocalKmsStartupError(`${file} is not a keyring (format ${KEYRING_FORMAT})`);
  }
  let json: string;
  try {
    const nonce = blob.subarray(headerLength, headerLength + NONCE_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', masterKey, nonce);
    decipher.setAAD(blob.subarray(0, headerLength));
    decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
    json = Buffer.concat([
      decipher.update(blob.subarray(headerLength + NONCE_BYTES, blob.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new LocalKmsStartupError(`${file} does not decrypt under ${MASTER_KEY_FILE} (wrong master key or a damaged file)`);
  }
  const parsed = JSON.parse(json) as { keys?: Record<string, KeyRecord>; destroyed?: Record<string, string> };
  return { keys: new Map(Object.entries(parsed.keys ?? {})), destroyed: new Map(Object.entries(parsed.destroyed ?? {})) };
}

async function writeKeyring(dir: string, masterKey: Buffer, ring: Keyring): Promise<void> {
  const header = Buffer.concat([KEYRING_MAGIC, Buffer.from([KEYRING_FORMAT])]);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, nonce);
  cipher.setAAD(header);
  const json = JSON.stringify({ keys: Object.fromEntries(ring.keys), destroyed: Object.fromEntries(ring.destroyed) });
  const body = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
  const file = join(dir, KEYRING_FILE);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeDurably(tmp, Buffer.concat([header, nonce, body, cipher.getAuthTag()]));
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

async function writeDurably(file: string, data: Buffer): Promise<void> {
  const fh = await open(file, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
