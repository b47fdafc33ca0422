import { createPublicKey, verify as edVerify, type KeyObject } from 'node:crypto';

/**
 * One published version of the signing key (ed25519), as `Kms.publicKeys(SIGNING_KEY_NAME)`
 * returns it and `publishedSigningKeys` serializes it: the PEM, or the raw 32-byte key in
 * base64 (the form Vault Transit publishes). Enough to verify offline; nothing secret.
 */
export interface PublishedKey {
  version: number;
  publicKeyPem?: string;
  publicKeyBase64?: string;
}

/** The public document a tenant downloads to verify certificates and checkpoints offline. */
export interface PublishedSigningKeys {
  key_name: string;
  algorithm: 'ed25519';
  keys: Array<{ version: number; public_key_pem: string; public_key_base64: string; created_at: string }>;
}

export function publishedSigningKeys(
  keyName: string,
  versions: ReadonlyArray<{ version: number; publicKeyPem: string; publicKeyBase64: string; createdAt: string }>,
): PublishedSigningKeys {
  return {
    key_name: keyName,
    algorithm: 'ed25519',
    keys: versions.map((v) => ({ version: v.version, public_key_pem: v.publicKeyPem, public_key_base64: v.publicKeyBase64, created_at: v.createdAt })),
  };
}

/** Accepts `PublishedKey[]`, `Kms.publicKeys()` output or a `PublishedSigningKeys` document. */
export type PublicKeyInput = ReadonlyArray<PublishedKey> | PublishedSigningKeys;

export function toPublishedKeys(input: PublicKeyInput): PublishedKey[] {
  if (Array.isArray(input)) return [...(input as PublishedKey[])];
  const doc = input as PublishedSigningKeys;
  return doc.keys.map((k) => ({ version: k.version, publicKeyPem: k.public_key_pem, publicKeyBase64: k.public_key_base64 }));
}

/** `<scheme>:v<N>:<base64 raw ed25519 signature>` as both Kms adapters produce it. */
export function parseSignature(signature: string): { scheme: string; version: number; raw: Buffer } | undefined {
  const match = /^([a-z]+):v([1-9][0-9]{0,8}):([A-Za-z0-9+/]+={0,2})$/.exec(signature);
  if (!match) return undefined;
  const raw = Buffer.from(match[3]!, 'base64');
  if (raw.length !== 64) return undefined;
  return { scheme: match[1]!, version: Number(match[2]), raw };
}

function keyObject(key: PublishedKey): KeyObject | undefined {
  try {
    if (key.publicKeyPem) return createPublicKey(key.publicKeyPem);
    if (key.publicKeyBase64) {
      const raw = Buffer.from(key.publicKeyBase64, 'base64');
      if (raw.length !== 32) return undefined;
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export type SignatureCheck = 'valid' | 'malformed' | 'unknown-key-version' | 'version-mismatch' | 'invalid';

/**
 * Checks an ed25519 signature over `data` with the published key of the version the signature
 * names; `expectedVersion` (the version recorded in the signed document) must agree with it.
 */
export function checkSignature(data: Buffer, signature: string, keys: PublicKeyInput, expectedVersion?: number): SignatureCheck {
  const parsed = parseSignature(signature);
  if (!parsed) return 'malformed';
  if (expectedVersion !== undefined && parsed.version !== expectedVersion) return 'version-mismatch';
  const key = toPublishedKeys(keys).find((k) => k.version === parsed.version);
  const object = key ? keyObject(key) : undefined;
  if (!object) return 'unknown-key-version';
  try {
    return edVerify(null, data, object, parsed.raw) ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}
