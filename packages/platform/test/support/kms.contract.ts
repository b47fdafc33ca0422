import { verify as edVerify } from 'node:crypto';
import {
  KeyDestroyedError,
  KeyNotFoundError,
  KmsRequestError,
  WrappedKeyInvalidError,
  parseVersioned,
  type Kms,
} from '../../src/kms';

/**
 * The Kms contract: `VaultTransitKms` (against a real OpenBao / Vault) and `LocalKms` must both
 * pass it. Tests use key names from `keyName(base)` (unique per run, `confide-` prefixed so the
 * Vault policy applies) and never rely on keys made by another test.
 */
export interface KmsContractFixture {
  kms: Kms;
  /** A key name unique to this run, derived from `base`. */
  keyName: (base: string) => string;
  /**
   * Optional: a second adapter instance with its own keyring (another directory, another
   * mount), to show that equal names in two keyrings are unrelated keys.
   */
  independentKms?: () => Promise<Kms>;
  /** Releases everything (destroys the keys the run created where the backend is shared). */
  cleanup(): Promise<void>;
}

/** Flips one bit in the decoded payload of a `<scheme>:v<N>:<base64>` value. */
export function alterVersioned(value: string, index = 0): string {
  const parsed = parseVersioned(value);
  if (!parsed) throw new Error('not a versioned value');
  const raw = Buffer.from(parsed.payload, 'base64');
  raw[index % raw.length]! ^= 0x01;
  return `${parsed.scheme}:v${parsed.version}:${raw.toString('base64')}`;
}

export interface KmsContractOptions {
  /** The fixture provides `independentKms` (a second keyring): run the independence case. */
  independentKeyrings?: boolean;
}

export function describeKmsContract(
  adapterName: string,
  factory: () => Promise<KmsContractFixture>,
  options: KmsContractOptions = {},
): void {
  describe(`Kms contract: ${adapterName}`, () => {
    let fx: KmsContractFixture;
    let kms: Kms;
    const created: string[] = [];

    beforeAll(async () => {
      fx = await factory();
      kms = fx.kms;
    });
    afterAll(async () => {
      for (const name of created) await kms.destroyKey(name).catch(() => undefined);
      await fx?.cleanup();
    });

    const newKey = async (base: string, type: 'aes256-gcm96' | 'ed25519' = 'aes256-gcm96'): Promise<string> => {
      const name = fx.keyName(base);
      created.push(name);
      await kms.createKey(name, type);
      return name;
    };

    it('reports healthy', async () => {
      await expect(kms.health()).resolves.toBe('ok');
    });

    it('creates keys idempotently and tells existing keys from missing ones', async () => {
      const name = await newKey('create');
      await expect(kms.keyExists(name)).resolves.toBe(true);
      await expect(kms.createKey(name, 'aes256-gcm96')).resolves.toBeUndefined();
      await expect(kms.keyExists(fx.keyName('never-created'))).resolves.toBe(false);
      await expect(kms.createKey(name, 'ed25519')).rejects.toBeInstanceOf(KmsRequestError);
    });

    it('round-trips a data key', async () => {
      const name = await newKey('roundtrip');
      const first = await kms.generateDataKey(name);
      const second = await kms.generateDataKey(name);
      expect(first.plaintext).toHaveLength(32);
      expect(first.keyVersion).toBe(1);
      expect(first.wrapped).toMatch(/^[a-z]+:v1:/);
      expect(first.wrapped).not.toContain(first.plaintext.toString('base64'));
      expect(second.plaintext.equals(first.plaintext)).toBe(false);
      expect((await kms.unwrapDataKey(name, first.wrapped)).equals(first.plaintext)).toBe(true);
      expect((await kms.unwrapDataKey(name, second.wrapped)).equals(second.plaintext)).toBe(true);
    });

    it('binds a wrapped data key to its context', async () => {
      const name = await newKey('context');
      const dk = await kms.generateDataKey(name, 'tenant-a/meeting-1');
      expect((await kms.unwrapDataKey(name, dk.wrapped, 'tenant-a/meeting-1')).equals(dk.plaintext)).toBe(true);
      await expect(kms.unwrapDataKey(name, dk.wrapped, 'tenant-a/meeting-2')).rejects.toBeInstanceOf(WrappedKeyInvalidError);
      await expect(kms.unwrapDataKey(name, dk.wrapped)).rejects.toBeInstanceOf(WrappedKeyInvalidError);
      await expect(kms.rewrapDataKey(name, dk.wrapped, 'tenant-a/meeting-2')).rejects.toBeInstanceOf(WrappedKeyInvalidError);
    });

    it('unwraps a wrapped data key only with its own key, and not once altered', async () => {
      const a = await newKey('own-a');
      const b = await newKey('own-b');
      const dk = await kms.generateDataKey(a);
      await expect(kms.unwrapDataKey(b, dk.wrapped)).rejects.toBeInstanceOf(WrappedKeyInvalidError);
      await expect(kms.unwrapDataKey(a, alterVersioned(dk.wrapped, 20))).rejects.toBeInstanceOf(WrappedKeyInvalidError);
      await expect(kms.unwrapDataKey(a, 'garbage')).rejects.toBeInstanceOf(WrappedKeyInvalidError);
      expect((await kms.unwrapDataKey(a, dk.wrapped)).equals(dk.plaintext)).toBe(true);
    });

    it('keeps old wrapped keys usable after rotation and rewraps them to the latest version', async () => {
      const name = await newKey('rotate');
      const v1 = await kms.generateDataKey(name, 'ctx');
      await kms.rotateKey(name);
      const v2 = await kms.generateDataKey(name, 'ctx');
      expect(v2.keyVersion).toBe(2);
      expect(v2.wrapped).toMatch(/^[a-z]+:v2:/);
      expect((await kms.unwrapDataKey(name, v1.wrapped, 'ctx')).equals(v1.plaintext)).toBe(true);

      const rewrapped = await kms.rewrapDataKey(name, v1.wrapped, 'ctx');
      expect(parseVersioned(rewrapped)?.version).toBe(2);
      expect(rewrapped).not.toBe(v1.wrapped);
      expect((await kms.unwrapDataKey(name, rewrapped, 'ctx')).equals(v1.plaintext)).toBe(true);

      await kms.rotateKey(name);
      expect(parseVersioned(await kms.rewrapDataKey(name, rewrapped, 'ctx'))?.version).toBe(3);
    });

    it('destroys a key: wrapped keys no longer unwrap (KeyDestroyedError) and no data key is generated', async () => {
      const name = await newKey('destroy');
      const dk = await kms.generateDataKey(name, 'ctx');
      await kms.rotateKey(name);
      const dk2 = await kms.generateDataKey(name, 'ctx');
      await kms.destroyKey(name);

      await expect(kms.unwrapDataKey(name, dk.wrapped, 'ctx')).rejects.toBeInstanceOf(KeyDestroyedError);
      await expect(kms.unwrapDataKey(name, dk2.wrapped, 'ctx')).rejects.toBeInstanceOf(KeyDestroyedError);
      await expect(kms.rewrapDataKey(name, dk.wrapped, 'ctx')).rejects.toBeInstanceOf(KeyDestroyedError);
      await expect(kms.generateDataKey(name)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(kms.keyExists(name)).resolves.toBe(false);
      await expect(kms.destroyKey(name)).resolves.toBeUndefined(); // idempotent
    });

    it('rejects operations on a key that never existed with KeyNotFoundError', async () => {
      const missing = fx.keyName('missing');
      await expect(kms.generateDataKey(missing)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(kms.rotateKey(missing)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(kms.sign(missing, Buffer.from('x'))).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(kms.publicKeys(missing)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(kms.generateDataKey(missing)).rejects.not.toBeInstanceOf(KeyDestroyedError);
    });

    it('signs and verifies with ed25519; one changed byte of data or signature fails', async () => {
      const name = await newKey('sign', 'ed25519');
      const data = Buffer.from('{"certificate":"meeting m-1 erased"}');
      const { signature, keyVersion } = await kms.sign(name, data);
      expect(keyVersion).toBe(1);
      expect(signature).toMatch(/^[a-z]+:v1:/);
      await expect(kms.verify(name, data, signature)).resolves.toBe(true);

      const alteredData = Buffer.from(data);
      alteredData[5]! ^= 0x01;
      await expect(kms.verify(name, alteredData, signature)).resolves.toBe(false);
      await expect(kms.verify(name, data, alterVersioned(signature, 0))).resolves.toBe(false);
      await expect(kms.verify(name, data, alterVersioned(signature, 63))).resolves.toBe(false);
      await expect(kms.verify(name, data, 'not-a-signature')).resolves.toBe(false);
    });

    it('publishes public keys per version that verify signatures offline, also after rotation', async () => {
      const name = await newKey('publish', 'ed25519');
      const data = Buffer.from('checkpoint 42');
      const s1 = await kms.sign(name, data);
      await kms.rotateKey(name);
      const s2 = await kms.sign(name, data);
      expect(s2.keyVersion).toBe(2);

      const keys = await kms.publicKeys(name);
      expect(keys.map((k) => k.version)).toEqual([1, 2]);
      for (const k of keys) {
        expect(k.publicKeyPem).toContain('BEGIN PUBLIC KEY');
        expect(Buffer.from(k.publicKeyBase64, 'base64')).toHaveLength(32);
        expect(Number.isNaN(Date.parse(k.createdAt))).toBe(false);
      }
      const raw = (s: string): Buffer => Buffer.from(parseVersioned(s)!.payload, 'base64');
      expect(edVerify(null, data, keys[0]!.publicKeyPem, raw(s1.signature))).toBe(true);
      expect(edVerify(null, data, keys[1]!.publicKeyPem, raw(s2.signature))).toBe(true);
      expect(edVerify(null, data, keys[1]!.publicKeyPem, raw(s1.signature))).toBe(false);
      await expect(kms.verify(name, data, s1.signature)).resolves.toBe(true);
      await expect(kms.verify(name, data, s2.signature)).resolves.toBe(true);
    });

    it('refuses an operation on a key of the wrong type', async () => {
      const aes = await newKey('type-aes');
      const ed = await newKey('type-ed', 'ed25519');
      await expect(kms.sign(aes, Buffer.from('x'))).rejects.toBeInstanceOf(KmsRequestError);
      await expect(kms.generateDataKey(ed)).rejects.toBeInstanceOf(KmsRequestError);
      await expect(kms.publicKeys(aes)).rejects.toBeInstanceOf(KmsRequestError);
    });

    it('keeps keys of different names independent (destroying one leaves the other)', async () => {
      const a = await newKey('tenant-a');
      const b = await newKey('tenant-b');
      const da = await kms.generateDataKey(a);
      const db = await kms.generateDataKey(b);
      await kms.rotateKey(a);
      expect((await kms.generateDataKey(b)).keyVersion).toBe(1);
      await kms.destroyKey(a);
      await expect(kms.unwrapDataKey(a, da.wrapped)).rejects.toBeInstanceOf(KeyDestroyedError);
      expect((await kms.unwrapDataKey(b, db.wrapped)).equals(db.plaintext)).toBe(true);
    });

    // Only for adapters whose fixture can open a second keyring (LocalKms: another directory).
    if (options.independentKeyrings) {
      it('treats equal key names in two independent keyrings as unrelated keys', async () => {
        if (!fx.independentKms) throw new Error('the fixture must provide independentKms');
        const other = await fx.independentKms();
        const name = await newKey('shared-name');
        await other.createKey(name, 'aes256-gcm96');
        const dk = await kms.generateDataKey(name);
        await expect(other.unwrapDataKey(name, dk.wrapped)).rejects.toBeInstanceOf(WrappedKeyInvalidError);
        await other.destroyKey(name);
        expect((await kms.unwrapDataKey(name, dk.wrapped)).equals(dk.plaintext)).toBe(true);
      });
    }
  });
}
