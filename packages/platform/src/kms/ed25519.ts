import { createPublicKey } from 'node:crypto';

/** SPKI PEM of a raw 32-byte ed25519 public key (the form Transit publishes, base64). */
export function ed25519RawToPem(rawBase64: string): string {
  const raw = Buffer.from(rawBase64, 'base64');
  if (raw.length !== 32) throw new Error('an ed25519 public key is 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}
