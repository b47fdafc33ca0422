/**
 * The key management port (ARCHITECTURE.md "Keys"). Two adapters pass one contract suite
 * (test/support/kms.contract.ts): `VaultTransitKms` (Vault / OpenBao Transit) for real
 * deployments and `LocalKms` (file-backed keyring) for the all-in-one default.
 *
 * Key material never leaves the KMS except the plaintext of a data key, which the caller
 * holds in memory only and stores wrapped.
 */

/** `aes256-gcm96` wraps data keys (tenant keys); `ed25519` signs (certificates, checkpoints). */
export type KmsKeyType = 'aes256-gcm96' | 'ed25519';

/**
 * Optional context bound to a wrapped data key as authenticated data: the same context must be
 * given to unwrap and rewrap it (e.g. `tenant/meeting`), so a wrapped key cannot be swapped
 * between rows. A string is taken as UTF-8.
 */
export type KmsContext = Buffer | string;

export interface GeneratedDataKey {
  /** 32 random bytes (AES-256). Keep in memory only; never log it. */
  plaintext: Buffer;
  /** The data key wrapped under `keyName`: `vault:v<N>:...` (Transit) or `local:v<N>:...`. */
  wrapped: string;
  /** The version of `keyName` that wrapped it. */
  keyVersion: number;
}

export interface Signature {
  /** `<scheme>:v<N>:<base64 raw ed25519 signature>` (`vault:` or `local:`). */
  signature: string;
  keyVersion: number;
}

export interface PublicKeyVersion {
  version: number;
  /** SPKI PEM ("-----BEGIN PUBLIC KEY-----"), usable by `crypto.verify(null, data, pem, sig)`. */
  publicKeyPem: string;
  /** The raw 32-byte ed25519 public key, base64 (the form Transit publishes). */
  publicKeyBase64: string;
  /** ISO-8601 creation time of the version. */
  createdAt: string;
}

export type KmsHealth = 'ok' | 'unavailable';

/**
 * Errors (kms.errors.ts): `KmsUnavailableError` is retryable (network, sealed, 5xx, timeouts);
 * `KeyNotFoundError`, `KeyDestroyedError` (a subclass: the key existed and was destroyed),
 * `WrappedKeyInvalidError` and `KmsRequestError` are final.
 */
export interface Kms {
  /**
   * Creates the key if it does not exist (idempotent). A key of the same name with another
   * type is a `KmsRequestError`.
   */
  createKey(name: string, type: KmsKeyType): Promise<void>;
  keyExists(name: string): Promise<boolean>;
  /** A fresh 256-bit data key, returned in plaintext and wrapped under the latest key version. */
  generateDataKey(keyName: string, context?: KmsContext): Promise<GeneratedDataKey>;
  /** The plaintext of a wrapped data key. `KeyDestroyedError` once the key was destroyed. */
  unwrapDataKey(keyName: string, wrapped: string, context?: KmsContext): Promise<Buffer>;
  /** Re-wraps a wrapped data key under the latest key version (the plaintext never leaves the KMS for Transit). */
  rewrapDataKey(keyName: string, wrapped: string, context?: KmsContext): Promise<string>;
  /** Adds a new key version; older versions still unwrap / verify. */
  rotateKey(name: string): Promise<void>;
  /**
   * Destroys every version of the key (crypto-shredding). Idempotent. Afterwards unwrap fails
   * with `KeyDestroyedError` and new data keys cannot be generated.
   */
  destroyKey(name: string): Promise<void>;
  /** ed25519 signature of `data` with the latest key version. */
  sign(keyName: string, data: Buffer): Promise<Signature>;
  /** False for a wrong, altered or malformed signature; throws only for KMS / key errors. */
  verify(keyName: string, data: Buffer, signature: string): Promise<boolean>;
  /** The public key of every available version of an ed25519 key, oldest first. */
  publicKeys(keyName: string): Promise<PublicKeyVersion[]>;
  health(): Promise<KmsHealth>;
}
