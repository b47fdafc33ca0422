import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { canonicalAad, type RecordContext } from './aad';
import { CiphertextFormatError, DecryptionFailedError } from './crypto.errors';

/**
 * Binary format, version 1 (docs/adr/0003-envelope-encryption.md):
 *
 *   'C' 'F' | format u8 = 1 | keyRefLen u16 BE | keyRef UTF-8 | keyVersion u32 BE | nonce 12 | ciphertext | tag 16
 *
 * AES-256-GCM with a random 96-bit nonce. The additional data is the header (magic through
 * key version) followed by the canonical record context, so neither the header nor the row a
 * ciphertext belongs to can be changed without the tag failing.
 */
export const ENVELOPE_MAGIC = Buffer.from('CF', 'latin1');
export const ENVELOPE_FORMAT_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const MAX_KEY_REF_BYTES = 0xffff;

export interface EnvelopeHeader {
  formatVersion: number;
  /** Which key encrypted it (e.g. the tenant key name or a data key reference). */
  keyRef: string;
  keyVersion: number;
}

interface ParsedEnvelope extends EnvelopeHeader {
  headerBytes: Buffer;
  nonce: Buffer;
  body: Buffer;
  tag: Buffer;
}

export class EnvelopeCipher {
  /** `randomBytes` is a seam for tests; production uses node's CSPRNG. */
  constructor(private readonly random: (size: number) => Buffer = randomBytes) {}

  encrypt(plaintext: Buffer, dek: Buffer, keyRef: string, keyVersion: number, aad: RecordContext): Buffer {
    assertDek(dek);
    const keyRefBytes = Buffer.from(keyRef, 'utf8');
    if (keyRefBytes.length === 0 || keyRefBytes.length > MAX_KEY_REF_BYTES) {
      throw new RangeError(`keyRef must be 1..${MAX_KEY_REF_BYTES} UTF-8 bytes`);
    }
    if (!Number.isInteger(keyVersion) || keyVersion < 0 || keyVersion > 0xffffffff) {
      throw new RangeError('keyVersion must be an unsigned 32-bit integer');
    }
    const header = Buffer.alloc(2 + 1 + 2 + keyRefBytes.length + 4);
    ENVELOPE_MAGIC.copy(header, 0);
    header.writeUInt8(ENVELOPE_FORMAT_VERSION, 2);
    header.writeUInt16BE(keyRefBytes.length, 3);
    keyRefBytes.copy(header, 5);
    header.writeUInt32BE(keyVersion, 5 + keyRefBytes.length);

    const nonce = this.random(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', dek, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.concat([header, canonicalAad(aad)]));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
  }

  decrypt(blob: Buffer, dek: Buffer, aad: RecordContext): Buffer {
    assertDek(dek);
    const env = parse(blob);
    const additionalData = Buffer.concat([env.headerBytes, canonicalAad(aad)]);
    try {
      const decipher = createDecipheriv('aes-256-gcm', dek, env.nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData);
      decipher.setAuthTag(env.tag);
      return Buffer.concat([decipher.update(env.body), decipher.final()]);
    } catch {
      throw new DecryptionFailedError();
    }
  }

  /** The key reference and version of a ciphertext, without decrypting it. */
  parseHeader(blob: Buffer): EnvelopeHeader {
    const { formatVersion, keyRef, keyVersion } = parse(blob);
    return { formatVersion, keyRef, keyVersion };
  }
}

function assertDek(dek: Buffer): void {
  if (!Buffer.isBuffer(dek) || dek.length !== KEY_BYTES) throw new RangeError('a data key is 32 bytes (AES-256)');
}

function parse(blob: Buffer): ParsedEnvelope {
  if (!Buffer.isBuffer(blob)) throw new CiphertextFormatError('not a buffer');
  if (blob.length < 5) throw new CiphertextFormatError('truncated header');
  if (blob[0] !== ENVELOPE_MAGIC[0] || blob[1] !== ENVELOPE_MAGIC[1]) throw new CiphertextFormatError('bad magic');
  const formatVersion = blob.readUInt8(2);
  if (formatVersion !== ENVELOPE_FORMAT_VERSION) throw new CiphertextFormatError(`unsupported format version ${formatVersion}`);
  const keyRefLength = blob.readUInt16BE(3);
  const headerLength = 5 + keyRefLength + 4;
  if (keyRefLength === 0) throw new CiphertextFormatError('empty key reference');
  if (blob.length < headerLength + NONCE_BYTES + TAG_BYTES) throw new CiphertextFormatError('truncated');
  const keyRefBytes = blob.subarray(5, 5 + keyRefLength);
  let keyRef: string;
  try {
    keyRef = new TextDecoder('utf-8', { fatal: true }).decode(keyRefBytes);
  } catch {
    throw new CiphertextFormatError('key reference is not UTF-8');
  }
  const keyVersion = blob.readUInt32BE(5 + keyRefLength);
  const nonceStart = headerLength;
  const tagStart = blob.length - TAG_BYTES;
  return {
    formatVersion,
    keyRef,
    keyVersion,
    headerBytes: blob.subarray(0, headerLength),
    nonce: blob.subarray(nonceStart, nonceStart + NONCE_BYTES),
    body: blob.subarray(nonceStart + NONCE_BYTES, tagStart),
    tag: blob.subarray(tagStart),
  };
}
