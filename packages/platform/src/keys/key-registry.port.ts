import type { StoredDataKey, WrappedDataKey } from '../kms/wrapped-key-store.port';

/**
 * What a data key protects (docs/adr/0010-key-hierarchy.md): `meeting` = the meeting's content
 * (events on the bus, content columns in Postgres); `audio` = audio frames in flight only,
 * destroyed once the meeting's transcription completes.
 */
export type KeyPurpose = 'meeting' | 'audio';

export const KEY_PURPOSES: readonly KeyPurpose[] = ['meeting', 'audio'];

/**
 * The one place wrapped data keys live (the storage service's `data_keys` table, reached over
 * `KeyRegistryService`), keyed by (tenant, meeting, purpose). Only wrapped keys reach it.
 */
export interface KeyRegistry {
  /** The stored key, a tombstone (`{ state: 'erased' }`) once destroyed, or undefined. */
  get(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<StoredDataKey | undefined>;
  /** Stores `key` unless a key or tombstone is already stored; returns what is stored (first writer wins). */
  putIfAbsent(tenantId: string, meetingId: string, purpose: KeyPurpose, key: WrappedDataKey): Promise<StoredDataKey>;
  /**
   * Deletes the wrapped key and records a tombstone (idempotent). True when a key was
   * destroyed by this call.
   */
  destroy(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<boolean>;
}
