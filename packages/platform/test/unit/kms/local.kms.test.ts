import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyDestroyedError, KeyNotFoundError, LocalKms, LocalKmsStartupError } from '../../../src/kms';
import { describeKmsContract } from '../../support/kms.contract';

const dirs: string[] = [];
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'confide-local-kms-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

let run = 0;
describeKmsContract(
  'LocalKms',
  async () => {
    const kms = await LocalKms.open({ dir: await tempDir() });
    const prefix = `confide-t${(run += 1)}`;
    return {
      kms,
      keyName: (base) => `${prefix}-${base}`,
      independentKms: async () => LocalKms.open({ dir: await tempDir() }),
      cleanup: async () => undefined,
    };
  },
  { independentKeyrings: true },
);

describe('LocalKms specifics', () => {
  it('creates a 0600 master key on first start and an encrypted keyring', async () => {
    const dir = await tempDir();
    const kms = await LocalKms.open({ dir });
    await kms.createKey('confide-tenant-acme', 'aes256-gcm96');
    await kms.createKey('confide-signing', 'ed25519');

    const master = await stat(join(dir, 'master.key'));
    expect(master.mode & 0o777).toBe(0o600);
    expect(master.size).toBe(32);
    const keyring = await stat(join(dir, 'keyring.enc'));
    expect(keyring.mode & 0o777).toBe(0o600);
    const raw = await readFile(join(dir, 'keyring.enc'));
    expect(raw.subarray(0, 4).toString('latin1')).toBe('CFKR');
    expect(raw.includes(Buffer.from('confide-tenant-acme'))).toBe(false);
    expect(raw.includes(Buffer.from('material'))).toBe(false);
    expect((await readdir(dir)).sort()).toEqual(['keyring.enc', 'master.key']); // no temp files left
  });

  it('keeps keys, versions and destruction markers across restarts', async () => {
    const dir = await tempDir();
    const first = await LocalKms.open({ dir });
    await first.createKey('confide-tenant-a', 'aes256-gcm96');
    await first.createKey('confide-tenant-b', 'aes256-gcm96');
    await first.createKey('confide-signing', 'ed25519');
    const dk = await first.generateDataKey('confide-tenant-a', 'ctx');
    await first.rotateKey('confide-tenant-a');
    const gone = await first.generateDataKey('confide-tenant-b');
    await first.destroyKey('confide-tenant-b');
    const sig = await first.sign('confide-signing', Buffer.from('doc'));

    const second = await LocalKms.open({ dir });
    expect((await second.unwrapDataKey('confide-tenant-a', dk.wrapped, 'ctx')).equals(dk.plaintext)).toBe(true);
    expect((await second.generateDataKey('confide-tenant-a')).keyVersion).toBe(2);
    await expect(second.unwrapDataKey('confide-tenant-b', gone.wrapped)).rejects.toBeInstanceOf(KeyDestroyedError);
    await expect(second.verify('confide-signing', Buffer.from('doc'), sig.signature)).resolves.toBe(true);
    await expect(second.publicKeys('confide-signing')).resolves.toHaveLength(1);
  });

  it('tells a destroyed key from one that never existed, and does not recreate a destroyed name', async () => {
    const kms = await LocalKms.open({ dir: await tempDir() });
    await kms.createKey('confide-tenant-x', 'aes256-gcm96');
    await kms.destroyKey('confide-tenant-x');
    await expect(kms.generateDataKey('confide-tenant-x')).rejects.toBeInstanceOf(KeyDestroyedError);
    await expect(kms.createKey('confide-tenant-x', 'aes256-gcm96')).rejects.toBeInstanceOf(KeyDestroyedError);

    const never = kms.generateDataKey('confide-tenant-y');
    await expect(never).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(never).rejects.not.toBeInstanceOf(KeyDestroyedError);
  });

  it('refuses to start when the master key is readable by group or others', async () => {
    const dir = await tempDir();
    await LocalKms.open({ dir });
    await chmod(join(dir, 'master.key'), 0o640);
    await expect(LocalKms.open({ dir })).rejects.toThrow(/master\.key is accessible by group or others \(mode 640\)/);
    await chmod(join(dir, 'master.key'), 0o604);
    await expect(LocalKms.open({ dir })).rejects.toBeInstanceOf(LocalKmsStartupError);
    await chmod(join(dir, 'master.key'), 0o600);
    await expect(LocalKms.open({ dir })).resolves.toBeInstanceOf(LocalKms);
  });

  it('refuses a keyring without its master key, or under another master key', async () => {
    const dir = await tempDir();
    const kms = await LocalKms.open({ dir });
    await kms.createKey('confide-tenant-a', 'aes256-gcm96');

    await rm(join(dir, 'master.key'));
    await expect(LocalKms.open({ dir })).rejects.toThrow(/refusing to create a new master key/);

    await writeFile(join(dir, 'master.key'), Buffer.alloc(32, 7), { mode: 0o600 });
    await expect(LocalKms.open({ dir })).rejects.toThrow(/does not decrypt under master\.key/);
  });

  it('refuses a damaged keyring or a master key of the wrong size', async () => {
    const dir = await tempDir();
    const kms = await LocalKms.open({ dir });
    await kms.createKey('confide-tenant-a', 'aes256-gcm96');
    const file = join(dir, 'keyring.enc');
    const raw = await readFile(file);
    raw[raw.length - 20]! ^= 0x01;
    await writeFile(file, raw);
    await expect(LocalKms.open({ dir })).rejects.toBeInstanceOf(LocalKmsStartupError);

    const other = await tempDir();
    await writeFile(join(other, 'master.key'), Buffer.alloc(16, 1), { mode: 0o600 });
    await expect(LocalKms.open({ dir: other })).rejects.toThrow(/not a 32-byte master key/);
  });

  it('serialises concurrent changes without losing any', async () => {
    const dir = await tempDir();
    const kms = await LocalKms.open({ dir });
    const names = Array.from({ length: 20 }, (_, i) => `confide-tenant-c${i}`);
    await Promise.all(names.map((n) => kms.createKey(n, 'aes256-gcm96')));
    await Promise.all([kms.rotateKey(names[0]!), kms.rotateKey(names[0]!), kms.rotateKey(names[0]!)]);
    const reopened = await LocalKms.open({ dir });
    for (const n of names) await expect(reopened.keyExists(n)).resolves.toBe(true);
    expect((await reopened.generateDataKey(names[0]!)).keyVersion).toBe(4);
  });

  it('rejects key names that could escape a path', async () => {
    const kms = await LocalKms.open({ dir: await tempDir() });
    for (const bad of ['../x', 'a/b', '', 'constructor/..', '-x', 'a..b']) {
      await expect(kms.createKey(bad, 'aes256-gcm96')).rejects.toThrow(/invalid key name/);
    }
  });
});
