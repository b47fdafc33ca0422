import { LRUCache } from 'lru-cache';
import { AppError } from '../errors/app-error';
import type { Clock } from '../runtime/clock';
import { tenantKeyName } from './key-names';
import type { Kms } from './kms.port';
import type { WrappedKeyStore } from './wrapped-key-store.port';

/** A meeting data key in plaintext, for `EnvelopeCipher`. The buffer is the caller's copy. */
export interface DataKey {
  plaintext: Buffer;
  /** The KMS key that wraps it. */
  keyName: string;
  /** The version of `keyName` that wrapped it. */
  keyVersion: number;
}

export interface DataKeyCacheStats {
  hits: number;
  misses: number;
  /** `Kms.generateDataKey` calls. */
  kmsGenerateCalls: number;
  /** `Kms.unwrapDataKey` calls. */
  kmsUnwrapCalls: number;
  /** Both together (the design aims at <= 2 per meeting on the hot path). */
  kmsCalls: number;
}

export interface DataKeyCacheOptions {
  kms: Kms;
  store: WrappedKeyStore;
  /** Most meetings held in plaintext at once (LRU beyond that). Default 1000. */
  maxEntries?: number;
  /** Idle time after which a plaintext key is dropped (refreshed by each use). Default 10 minutes. */
  ttlMs?: number;
  /** The KMS key that wraps a tenant's meeting keys. Default `tenantKeyName`. */
  keyNameFor?: (tenantId: string) => string;
  /** For tests: the clock the TTL is measured with. */
  clock?: Clock;
}

/** The meeting has no data key yet (a read before any write). */
export class DataKeyNotFoundError extends AppError {
  constructor() {
    super('not-found', 'the meeting has no data key');
  }
}

/** The meeting was erased: its data key is gone and no new one is created. Final. */
export class MeetingKeyErasedError extends AppError {
  constructor() {
    super('not-found', 'the meeting was erased');
  }
}

interface Entry {
  plaintext: Buffer;
  keyName: string;
  keyVersion: number;
}

/**
 * Plaintext meeting data keys (DEKs) in memory, bounded by count and idle TTL, keyed by
 * (tenant, meeting). A miss reads the wrapped key from the `WrappedKeyStore` and unwraps it
 * (one KMS call), or, for a writer and a meeting without a key, generates one (one KMS call)
 * and stores it wrapped first-writer-wins. Concurrent misses for one meeting share one load.
 *
 * The wrapped key is bound to its (tenant, meeting) as KMS context, so a wrapped key copied to
 * another meeting's row does not unwrap. Evicted plaintext is zeroed (best effort: callers get
 * copies and the garbage collector may have moved bytes).
 */
export class DataKeyCache {
  private readonly cache: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly keyNameFor: (tenantId: string) => string;
  /** Bumped by evict/clear: a load that started before does not populate the cache. */
  private generation = 0;
  private counters = { hits: 0, misses: 0, kmsGenerateCalls: 0, kmsUnwrapCalls: 0 };

  constructor(private readonly opts: DataKeyCacheOptions) {
    this.keyNameFor = opts.keyNameFor ?? tenantKeyName;
    this.cache = new LRUCache<string, Entry>({
      max: opts.maxEntries ?? 1000,
      ttl: opts.ttlMs ?? 10 * 60_000,
      updateAgeOnGet: true,
      dispose: (entry) => entry.plaintext.fill(0),
      ...(opts.clock ? { perf: { now: () => opts.clock!.now() }, ttlResolution: 0 } : {}),
    });
  }

  /** The meeting's data key, created on first use (writers: ingest, storage). */
  getOrCreate(tenantId: string, meetingId: string): Promise<DataKey> {
    return this.load(tenantId, meetingId, true);
  }

  /** The meeting's existing data key (readers); `DataKeyNotFoundError` when it has none. */
  get(tenantId: string, meetingId: string): Promise<DataKey> {
    return this.load(tenantId, meetingId, false);
  }

  /** Drops the meeting's plaintext key (meeting ended, erased). */
  evict(meetingId: string): void {
    this.generation += 1;
    for (const key of [...this.cache.keys()]) {
      if (meetingOf(key) === meetingId) this.cache.delete(key);
    }
  }

  /** Drops every plaintext key. */
  clear(): void {
    this.generation += 1;
    this.cache.clear();
  }

  get size(): number {
    return this.cache.size;
  }

  stats(): DataKeyCacheStats {
    return { ...this.counters, kmsCalls: this.counters.kmsGenerateCalls + this.counters.kmsUnwrapCalls };
  }

  private async load(tenantId: string, meetingId: string, create: boolean): Promise<DataKey> {
    const key = cacheKey(tenantId, meetingId);
    const cached = this.cache.get(key);
    if (cached) {
      this.counters.hits += 1;
      return copy(cached);
    }
    const pending = this.inflight.get(key);
    if (pending) {
      try {
        return copy(await pending);
      } catch (err) {
        // A reader's load found no key; a writer goes on to create one.
        if (!(create && err instanceof DataKeyNotFoundError)) throw err;
      }
    }
    this.counters.misses += 1;
    const generation = this.generation;
    const loading = this.fetch(tenantId, meetingId, create);
    this.inflight.set(key, loading);
    try {
      const entry = await loading;
      // The cache holds its own copy: eviction zeroes it while waiters still copy from `entry`.
      if (generation === this.generation) this.cache.set(key, { ...entry, plaintext: Buffer.from(entry.plaintext) });
      return copy(entry);
    } finally {
      if (this.inflight.get(key) === loading) this.inflight.delete(key);
    }
  }

  private async fetch(tenantId: string, meetingId: string, create: boolean): Promise<Entry> {
    const context = dekContext(tenantId, meetingId);
    let stored = await this.opts.store.get(tenantId, meetingId);
    if (!stored) {
      if (!create) throw new DataKeyNotFoundError();
      const keyName = this.keyNameFor(tenantId);
      this.counters.kmsGenerateCalls += 1;
      const generated = await this.opts.kms.generateDataKey(keyName, context);
      stored = await this.opts.store.putIfAbsent(tenantId, meetingId, {
        keyName,
        wrapped: generated.wrapped,
        keyVersion: generated.keyVersion,
      });
      if (stored.state === 'active' && stored.wrapped === generated.wrapped) {
        return { plaintext: generated.plaintext, keyName, keyVersion: generated.keyVersion };
      }
      generated.plaintext.fill(0); // another writer won: use the stored key
    }
    if (stored.state === 'erased') throw new MeetingKeyErasedError();
    this.counters.kmsUnwrapCalls += 1;
    const plaintext = await this.opts.kms.unwrapDataKey(stored.keyName, stored.wrapped, context);
    return { plaintext, keyName: stored.keyName, keyVersion: stored.keyVersion };
  }
}

/** The KMS context a meeting's wrapped data key is bound to. */
export function dekContext(tenantId: string, meetingId: string): Buffer {
  const parts = ['confide.dek.v1', tenantId, meetingId].map((s) => Buffer.from(s, 'utf8'));
  return Buffer.concat(
    parts.flatMap((p) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(p.length);
      return [len, p];
    }),
  );
}

function cacheKey(tenantId: string, meetingId: string): string {
  return JSON.stringify([tenantId, meetingId]);
}

function meetingOf(key: string): string {
  return (JSON.parse(key) as [string, string])[1];
}

function copy(entry: Entry): DataKey {
  return { plaintext: Buffer.from(entry.plaintext), keyName: entry.keyName, keyVersion: entry.keyVersion };
}
