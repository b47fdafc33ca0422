import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataKeyCache,
  DataKeyNotFoundError,
  KeyDestroyedError,
  LocalKms,
  MeetingKeyErasedError,
  WrappedKeyInvalidError,
  dekContext,
  tenantKeyName,
  type Kms,
  type StoredDataKey,
  type WrappedDataKey,
  type WrappedKeyStore,
} from '../../../src/kms';

/** In-memory WrappedKeyStore with first-writer-wins puts and erasure tombstones. */
class FakeWrappedKeyStore implements WrappedKeyStore {
  readonly rows = new Map<string, StoredDataKey>();
  /** Runs between the read and the write of putIfAbsent, to stage races. */
  beforePut: (() => Promise<void>) | undefined;

  async get(tenantId: string, meetingId: string): Promise<StoredDataKey | undefined> {
    return this.rows.get(`${tenantId}/${meetingId}`);
  }

  async putIfAbsent(tenantId: string, meetingId: string, key: WrappedDataKey): Promise<StoredDataKey> {
    await this.beforePut?.();
    const id = `${tenantId}/${meetingId}`;
    const existing = this.rows.get(id);
    if (existing) return existing;
    const row: StoredDataKey = { state: 'active', ...key };
    this.rows.set(id, row);
    return row;
  }

  erase(tenantId: string, meetingId: string): void {
    this.rows.set(`${tenantId}/${meetingId}`, { state: 'erased' });
  }
}

/** Counts the calls that really reach the KMS, to check the cache's own counters. */
function countingKms(inner: Kms): { kms: Kms; calls: { generate: number; unwrap: number } } {
  const calls = { generate: 0, unwrap: 0 };
  const kms: Kms = Object.create(inner) as Kms;
  kms.generateDataKey = (...args) => {
    calls.generate += 1;
    return inner.generateDataKey(...args);
  };
  kms.unwrapDataKey = (...args) => {
    calls.unwrap += 1;
    return inner.unwrapDataKey(...args);
  };
  return { kms, calls };
}

describe('DataKeyCache', () => {
  let dir: string;
  let local: LocalKms;
  let kms: Kms;
  let calls: { generate: number; unwrap: number };
  let store: FakeWrappedKeyStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confide-dek-cache-'));
    local = await LocalKms.open({ dir });
    await local.createKey(tenantKeyName('t1'), 'aes256-gcm96');
    await local.createKey(tenantKeyName('t2'), 'aes256-gcm96');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    ({ kms, calls } = countingKms(local));
    store = new FakeWrappedKeyStore();
  });

  it('creates a meeting key once, stores it wrapped, then serves it from memory', async () => {
    const cache = new DataKeyCache({ kms, store });
    const first = await cache.getOrCreate('t1', 'm1');
    expect(first.plaintext).toHaveLength(32);
    expect(first.keyName).toBe('confide-tenant-t1');
    expect(first.keyVersion).toBe(1);

    const row = await store.get('t1', 'm1');
    expect(row).toMatchObject({ state: 'active', keyName: 'confide-tenant-t1', keyVersion: 1 });
    expect(row?.state === 'active' && row.wrapped.startsWith('local:v1:')).toBe(true);
    expect(JSON.stringify(row)).not.toContain(first.plaintext.toString('base64'));

    for (let i = 0; i < 5; i += 1) {
      expect((await cache.getOrCreate('t1', 'm1')).plaintext.equals(first.plaintext)).toBe(true);
      expect((await cache.get('t1', 'm1')).plaintext.equals(first.plaintext)).toBe(true);
    }
    expect(calls).toEqual({ generate: 1, unwrap: 0 });
    expect(cache.stats()).toEqual({ hits: 10, misses: 1, kmsGenerateCalls: 1, kmsUnwrapCalls: 0, kmsCalls: 1 });
  });

  it('lets another process read the key with one unwrap: two KMS calls per meeting in all', async () => {
    const writer = new DataKeyCache({ kms, store });
    const reader = new DataKeyCache({ kms, store });
    const written = await writer.getOrCreate('t1', 'm2');
    for (let i = 0; i < 3; i += 1) expect((await reader.get('t1', 'm2')).plaintext.equals(written.plaintext)).toBe(true);
    expect(reader.stats()).toMatchObject({ kmsUnwrapCalls: 1, kmsGenerateCalls: 0, kmsCalls: 1 });
    expect(writer.stats().kmsCalls + reader.stats().kmsCalls).toBe(2);
    expect(calls).toEqual({ generate: 1, unwrap: 1 });
  });

  it('shares one load among concurrent requests for a meeting', async () => {
    const cache = new DataKeyCache({ kms, store });
    const keys = await Promise.all(Array.from({ length: 20 }, () => cache.getOrCreate('t1', 'm3')));
    for (const k of keys) expect(k.plaintext.equals(keys[0]!.plaintext)).toBe(true);
    expect(calls).toEqual({ generate: 1, unwrap: 0 });
    expect(cache.stats().misses).toBe(1);
  });

  it('lets a reader waiting on a missing key not stop a concurrent writer', async () => {
    const cache = new DataKeyCache({ kms, store });
    const [read, written] = await Promise.allSettled([cache.get('t1', 'm4'), cache.getOrCreate('t1', 'm4')]);
    expect(read.status === 'rejected' && read.reason instanceof DataKeyNotFoundError).toBe(true);
    expect(written.status).toBe('fulfilled');
    expect(calls.generate).toBe(1);
  });

  it('makes two processes that create a meeting key at once agree on the stored one', async () => {
    const a = new DataKeyCache({ kms, store });
    const b = new DataKeyCache({ kms, store });
    let arrived = 0;
    let release!: () => void;
    const bothGenerated = new Promise<void>((resolve) => (release = resolve));
    store.beforePut = async () => {
      arrived += 1;
      if (arrived === 2) release();
      await bothGenerated;
    };
    const [ka, kb] = await Promise.all([a.getOrCreate('t1', 'm5'), b.getOrCreate('t1', 'm5')]);
    expect(ka.plaintext.equals(kb.plaintext)).toBe(true);
    const row = await store.get('t1', 'm5');
    if (row?.state !== 'active') throw new Error('no stored key');
    expect((await local.unwrapDataKey(row.keyName, row.wrapped, dekContext('t1', 'm5'))).equals(ka.plaintext)).toBe(true);
    // the loser generated, lost the put, and unwrapped the winner's key
    expect(calls).toEqual({ generate: 2, unwrap: 1 });
  });

  it('does not create a key for a read and reports a meeting without one', async () => {
    const cache = new DataKeyCache({ kms, store });
    await expect(cache.get('t1', 'never')).rejects.toBeInstanceOf(DataKeyNotFoundError);
    expect(store.rows.size).toBe(0);
    expect(calls).toEqual({ generate: 0, unwrap: 0 });
  });

  it('never creates a new key for an erased meeting', async () => {
    const cache = new DataKeyCache({ kms, store });
    await cache.getOrCreate('t1', 'm6');
    store.erase('t1', 'm6');
    cache.evict('m6');
    await expect(cache.get('t1', 'm6')).rejects.toBeInstanceOf(MeetingKeyErasedError);
    await expect(cache.getOrCreate('t1', 'm6')).rejects.toBeInstanceOf(MeetingKeyErasedError);
    expect(calls.generate).toBe(1);
  });

  it('evicts one meeting (for every tenant) and clears all', async () => {
    const cache = new DataKeyCache({ kms, store });
    await cache.getOrCreate('t1', 'm7');
    await cache.getOrCreate('t2', 'm7');
    await cache.getOrCreate('t1', 'm8');
    expect(cache.size).toBe(3);
    cache.evict('m7');
    expect(cache.size).toBe(1);
    await cache.get('t1', 'm8');
    expect(calls.unwrap).toBe(0);
    await cache.get('t1', 'm7');
    expect(calls.unwrap).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
    await cache.get('t1', 'm8');
    expect(calls.unwrap).toBe(2);
  });

  it('does not cache a key whose load was overtaken by an eviction', async () => {
    const cache = new DataKeyCache({ kms, store });
    const loading = cache.getOrCreate('t1', 'm9');
    cache.evict('m9');
    await loading;
    expect(cache.size).toBe(0);
  });

  it('is bounded: the least recently used meeting is dropped beyond maxEntries', async () => {
    const cache = new DataKeyCache({ kms, store, maxEntries: 2 });
    await cache.getOrCreate('t1', 'a');
    await cache.getOrCreate('t1', 'b');
    await cache.get('t1', 'a');
    await cache.getOrCreate('t1', 'c');
    expect(cache.size).toBe(2);
    await cache.get('t1', 'a');
    expect(calls.unwrap).toBe(0);
    await cache.get('t1', 'b');
    expect(calls.unwrap).toBe(1);
  });

  it('drops a key idle for longer than the TTL', async () => {
    let now = 1_000_000;
    const cache = new DataKeyCache({ kms, store, ttlMs: 60_000, clock: { now: () => now } });
    await cache.getOrCreate('t1', 'ttl');
    now += 59_000;
    await cache.get('t1', 'ttl'); // a use refreshes the idle time
    now += 59_000;
    await cache.get('t1', 'ttl');
    expect(calls.unwrap).toBe(0);
    now += 60_001;
    await cache.get('t1', 'ttl');
    expect(calls.unwrap).toBe(1);
  });

  it('hands out copies: a caller wiping its key does not wipe the cache', async () => {
    const cache = new DataKeyCache({ kms, store });
    const k1 = await cache.getOrCreate('t1', 'copy');
    const expected = Buffer.from(k1.plaintext);
    k1.plaintext.fill(0);
    expect((await cache.get('t1', 'copy')).plaintext.equals(expected)).toBe(true);
  });

  it('binds a wrapped key to its meeting: a row copied to another meeting does not unwrap', async () => {
    const cache = new DataKeyCache({ kms, store });
    await cache.getOrCreate('t1', 'source');
    store.rows.set('t1/target', store.rows.get('t1/source')!);
    await expect(cache.get('t1', 'target')).rejects.toBeInstanceOf(WrappedKeyInvalidError);
  });

  it('fails with KeyDestroyedError once the tenant key is destroyed', async () => {
    await local.createKey(tenantKeyName('t3'), 'aes256-gcm96');
    const cache = new DataKeyCache({ kms, store });
    await cache.getOrCreate('t3', 'm1');
    await local.destroyKey(tenantKeyName('t3'));
    cache.evict('m1');
    await expect(cache.get('t3', 'm1')).rejects.toBeInstanceOf(KeyDestroyedError);
    await expect(cache.getOrCreate('t3', 'm2')).rejects.toBeInstanceOf(KeyDestroyedError);
  });
});
