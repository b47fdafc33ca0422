import { randomBytes } from 'node:crypto';
import {
  CiphertextFormatError,
  DecryptionFailedError,
  ENVELOPE_FORMAT_VERSION,
  EnvelopeCipher,
  canonicalAad,
  type RecordContext,
} from '../../../src/crypto';

const cipher = new EnvelopeCipher();
const dek = randomBytes(32);
const ctx: RecordContext = { tenant: 'tenant-a', meeting: 'meeting-1', kind: 'segment', id: 'seg-0001' };
const plaintext = Buffer.from('the quarterly numbers are confidential', 'utf8');

describe('EnvelopeCipher', () => {
  it('round-trips and writes the documented header', () => {
    const blob = cipher.encrypt(plaintext, dek, 'confide-tenant-a', 3, ctx);
    expect(cipher.decrypt(blob, dek, ctx).equals(plaintext)).toBe(true);

    const keyRef = Buffer.from('confide-tenant-a');
    expect(blob.subarray(0, 2).toString('latin1')).toBe('CF');
    expect(blob.readUInt8(2)).toBe(ENVELOPE_FORMAT_VERSION);
    expect(blob.readUInt16BE(3)).toBe(keyRef.length);
    expect(blob.subarray(5, 5 + keyRef.length).equals(keyRef)).toBe(true);
    expect(blob.readUInt32BE(5 + keyRef.length)).toBe(3);
    // header + nonce 12 + ciphertext (same length as plaintext) + tag 16
    expect(blob.length).toBe(5 + keyRef.length + 4 + 12 + plaintext.length + 16);
    expect(blob.includes(plaintext.subarray(0, 8))).toBe(false);
  });

  it('round-trips an empty plaintext and a large one', () => {
    for (const p of [Buffer.alloc(0), randomBytes(1024 * 1024)]) {
      expect(cipher.decrypt(cipher.encrypt(p, dek, 'k', 1, ctx), dek, ctx).equals(p)).toBe(true);
    }
  });

  it('reads the key reference and version without decrypting', () => {
    const blob = cipher.encrypt(plaintext, dek, 'dek:tenant-a/meeting-1 ✓', 4294967295, ctx);
    expect(cipher.parseHeader(blob)).toEqual({ formatVersion: 1, keyRef: 'dek:tenant-a/meeting-1 ✓', keyVersion: 4294967295 });
  });

  it.each<keyof RecordContext>(['tenant', 'meeting', 'kind', 'id'])('fails when the %s of the context differs', (field) => {
    const blob = cipher.encrypt(plaintext, dek, 'k', 1, ctx);
    const other = { ...ctx, [field]: `${ctx[field]}x` };
    expect(() => cipher.decrypt(blob, dek, other)).toThrow(DecryptionFailedError);
  });

  it('does not let field boundaries shift between context fields', () => {
    const a: RecordContext = { tenant: 'ab', meeting: 'c', kind: 'k', id: 'i' };
    const b: RecordContext = { tenant: 'a', meeting: 'bc', kind: 'k', id: 'i' };
    expect(canonicalAad(a).equals(canonicalAad(b))).toBe(false);
    expect(() => cipher.decrypt(cipher.encrypt(plaintext, dek, 'k', 1, a), dek, b)).toThrow(DecryptionFailedError);
  });

  it('fails when ciphertexts are swapped between two records', () => {
    const ctx2: RecordContext = { ...ctx, id: 'seg-0002' };
    const blob1 = cipher.encrypt(Buffer.from('first'), dek, 'k', 1, ctx);
    const blob2 = cipher.encrypt(Buffer.from('second'), dek, 'k', 1, ctx2);
    expect(() => cipher.decrypt(blob2, dek, ctx)).toThrow(DecryptionFailedError);
    expect(() => cipher.decrypt(blob1, dek, ctx2)).toThrow(DecryptionFailedError);
    expect(cipher.decrypt(blob1, dek, ctx).toString()).toBe('first');
  });

  it('fails with another data key', () => {
    const blob = cipher.encrypt(plaintext, dek, 'k', 1, ctx);
    expect(() => cipher.decrypt(blob, randomBytes(32), ctx)).toThrow(DecryptionFailedError);
  });

  it('fails on any single altered byte, header included', () => {
    const blob = cipher.encrypt(plaintext, dek, 'confide-tenant-a', 1, ctx);
    for (let i = 0; i < blob.length; i += 1) {
      const tampered = Buffer.from(blob);
      tampered[i]! ^= 0x01;
      let caught: unknown;
      try {
        cipher.decrypt(tampered, dek, ctx);
      } catch (err) {
        caught = err;
      }
      // magic, format version and key-ref length are structural; everything else is authenticated
      if (i <= 4) expect(caught instanceof CiphertextFormatError || caught instanceof DecryptionFailedError).toBe(true);
      else expect(caught).toBeInstanceOf(DecryptionFailedError);
    }
  });

  it('does not leak detail on authentication failure', () => {
    const blob = cipher.encrypt(plaintext, dek, 'confide-tenant-a', 1, ctx);
    blob[blob.length - 1]! ^= 0xff;
    expect(() => cipher.decrypt(blob, dek, ctx)).toThrow(/^decryption failed$/);
  });

  it('gives a format error for truncated or garbage input', () => {
    const blob = cipher.encrypt(plaintext, dek, 'confide-tenant-a', 1, ctx);
    const headerLength = 5 + 'confide-tenant-a'.length + 4;
    const cases: Buffer[] = [
      Buffer.alloc(0),
      blob.subarray(0, 1),
      blob.subarray(0, 4),
      blob.subarray(0, headerLength),
      blob.subarray(0, headerLength + 12 + 15), // no room for nonce + tag
      Buffer.from('{"not":"a ciphertext"}'),
      randomBytes(64).fill(0x00, 0, 1),
      Buffer.concat([Buffer.from('CF'), Buffer.from([2]), blob.subarray(3)]), // unknown format version
      Buffer.concat([blob.subarray(0, 3), Buffer.from([0, 0]), blob.subarray(5)]), // empty key ref
      Buffer.concat([blob.subarray(0, 3), Buffer.from([0xff, 0xff]), blob.subarray(5)]), // key ref past the end
    ];
    for (const bad of cases) {
      expect(() => cipher.decrypt(bad, dek, ctx)).toThrow(CiphertextFormatError);
      expect(() => cipher.parseHeader(bad)).toThrow(CiphertextFormatError);
    }
    const badUtf8 = Buffer.from(blob);
    badUtf8[5] = 0xff;
    expect(() => cipher.parseHeader(badUtf8)).toThrow(CiphertextFormatError);
  });

  it('uses a fresh nonce for every encryption (10k)', () => {
    const nonces = new Set<string>();
    const ciphertexts = new Set<string>();
    const keyRefLength = 1;
    for (let i = 0; i < 10_000; i += 1) {
      const blob = cipher.encrypt(plaintext, dek, 'k', 1, ctx);
      const start = 5 + keyRefLength + 4;
      nonces.add(blob.subarray(start, start + 12).toString('hex'));
      ciphertexts.add(blob.subarray(start + 12).toString('hex'));
    }
    expect(nonces.size).toBe(10_000);
    expect(ciphertexts.size).toBe(10_000);
  });

  it('refuses keys that are not 256-bit and malformed key references or versions', () => {
    expect(() => cipher.encrypt(plaintext, randomBytes(16), 'k', 1, ctx)).toThrow(/32 bytes/);
    expect(() => cipher.decrypt(Buffer.alloc(64), randomBytes(31), ctx)).toThrow(/32 bytes/);
    expect(() => cipher.encrypt(plaintext, dek, '', 1, ctx)).toThrow(RangeError);
    expect(() => cipher.encrypt(plaintext, dek, 'x'.repeat(65536), 1, ctx)).toThrow(RangeError);
    expect(() => cipher.encrypt(plaintext, dek, 'k', -1, ctx)).toThrow(RangeError);
    expect(() => cipher.encrypt(plaintext, dek, 'k', 2 ** 32, ctx)).toThrow(RangeError);
    expect(() => cipher.encrypt(plaintext, dek, 'k', 1, { ...ctx, tenant: '' })).toThrow(TypeError);
  });

  it('accepts an empty meeting for tenant-level records', () => {
    const tenantLevel: RecordContext = { tenant: 'tenant-a', meeting: '', kind: 'certificate', id: 'c-1' };
    const blob = cipher.encrypt(plaintext, dek, 'k', 1, tenantLevel);
    expect(cipher.decrypt(blob, dek, tenantLevel).equals(plaintext)).toBe(true);
  });
});
