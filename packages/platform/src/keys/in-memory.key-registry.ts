import type { StoredDataKey, WrappedDataKey } from '../kms/wrapped-key-store.port';
import type { KeyPurpose, KeyRegistry } from './key-registry.port';

/** A `KeyRegistry` in memory (unit tests, benchmarks): first writer wins, tombstones kept. */
export class InMemoryKeyRegistry implements KeyRegistry {
  private readonly rows = new Map<string, StoredDataKey>();

  async get(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<StoredDataKey | undefined> {
    return this.rows.get(id(tenantId, meetingId, purpose));
  }

  async putIfAbsent(tenantId: string, meetingId: string, purpose: KeyPurpose, key: WrappedDataKey): Promise<StoredDataKey> {
    const rowId = id(tenantId, meetingId, purpose);
    const existing = this.rows.get(rowId);
    if (existing) return existing;
    const row: StoredDataKey = { state: 'active', keyName: key.keyName, wrapped: key.wrapped, keyVersion: key.keyVersion };
    this.rows.set(rowId, row);
    return row;
  }

  async destroy(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<boolean> {
    const rowId = id(tenantId, meetingId, purpose);
    const destroyed = this.rows.get(rowId)?.state === 'active';
    this.rows.set(rowId, { state: 'erased' });
    return destroyed;
  }

  get size(): number {
    return this.rows.size;
  }
}

const id = (tenantId: string, meetingId: string, purpose: KeyPurpose): string => JSON.stringify([tenantId, meetingId, purpose]);
