import type { KeyPurpose } from '@confide/platform';

/**
 * Destroys a meeting's data key (crypto-erasure, docs/adr/0010-key-hierarchy.md): the wrapped
 * key is deleted in the key registry and a tombstone recorded. Satisfied by platform's
 * `MeetingKeyring` (also drops this process's plaintext copy — prefer it), `GrpcKeyRegistry`
 * and storage's `PostgresDataKeyRepository`. True when a key was destroyed by this call.
 */
export interface DataKeyShredder {
  destroy(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<boolean>;
}

/** Destroys a tenant's key in the KMS (`Kms.destroyKey(tenantKeyName(tenant))`). */
export interface TenantKeyShredder {
  destroyKey(name: string): Promise<void>;
}
