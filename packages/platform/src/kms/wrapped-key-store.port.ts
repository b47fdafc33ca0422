/** A meeting data key in its stored (wrapped) form. */
export interface WrappedDataKey {
  /** The KMS key that wraps it (the tenant key, `confide-tenant-<tenantId>`). */
  keyName: string;
  /** `vault:v<N>:...` / `local:v<N>:...` */
  wrapped: string;
  /** The version of `keyName` that wrapped it. */
  keyVersion: number;
}

/**
 * What the store holds for a meeting: its wrapped key, or a tombstone once the meeting was
 * erased (the tombstone survives so that a late event cannot create a fresh key for it, and a
 * backup restore re-applies it).
 */
export type StoredDataKey = ({ state: 'active' } & WrappedDataKey) | { state: 'erased' };

/**
 * Where wrapped meeting data keys live (Postgres in the storage service; a fake in tests).
 * Only wrapped keys ever reach it.
 */
export interface WrappedKeyStore {
  get(tenantId: string, meetingId: string): Promise<StoredDataKey | undefined>;
  /**
   * Stores the key unless the meeting already has one (or a tombstone) and returns what is
   * stored: the first writer wins, so two processes that both generated a key agree on one.
   */
  putIfAbsent(tenantId: string, meetingId: string, key: WrappedDataKey): Promise<StoredDataKey>;
}
