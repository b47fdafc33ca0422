import { KmsRequestError } from './kms.errors';

/** Prefix of every key Confide manages (the Vault policy grants `transit/keys/confide-*`). */
export const KEY_NAME_PREFIX = 'confide-';
/** The certificate / audit-checkpoint signing key (ed25519). */
export const SIGNING_KEY_NAME = 'confide-signing';

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ID_PART = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Key names end up in KMS URL paths (`transit/keys/<name>`): letters, digits, `_`, `-`, `.`,
 * at most 128 characters, no path separators.
 */
export function assertKeyName(name: string): string {
  if (!KEY_NAME.test(name) || name.includes('..')) {
    throw new KmsRequestError(`invalid key name (letters, digits, '_', '-', '.'; at most 128)`, 'invalid-argument');
  }
  return name;
}

/** The tenant's key-encryption key: `confide-tenant-<tenantId>`. */
export function tenantKeyName(tenantId: string): string {
  if (!ID_PART.test(tenantId)) {
    throw new KmsRequestError(`invalid tenant id for a key name (letters, digits, '_', '-'; at most 64)`, 'invalid-argument');
  }
  return `${KEY_NAME_PREFIX}tenant-${tenantId}`;
}

/** Parses `<scheme>:v<N>:<base64>` (wrapped keys and signatures of both adapters). */
export function parseVersioned(value: string): { scheme: string; version: number; payload: string } | undefined {
  const match = /^([a-z]+):v([1-9][0-9]{0,8}):([A-Za-z0-9+/]+={0,2})$/.exec(value);
  if (!match) return undefined;
  return { scheme: match[1]!, version: Number(match[2]), payload: match[3]! };
}
