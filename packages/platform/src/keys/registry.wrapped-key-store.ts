import type { StoredDataKey, WrappedDataKey, WrappedKeyStore } from '../kms/wrapped-key-store.port';
import type { KeyPurpose, KeyRegistry } from './key-registry.port';

/**
 * The `WrappedKeyStore` a `DataKeyCache` of one purpose reads and writes: the key registry,
 * with the purpose fixed. `toMeetingId` maps the cache's meeting id to the registry's (the
 * audio cache uses `<meetingId>/audio` so that its wrapped keys are bound to their purpose as
 * KMS context; see MeetingKeyring).
 */
export class RegistryWrappedKeyStore implements WrappedKeyStore {
  constructor(
    private readonly registry: KeyRegistry,
    private readonly purpose: KeyPurpose,
    private readonly toMeetingId: (cacheMeetingId: string) => string = (id) => id,
  ) {}

  get(tenantId: string, meetingId: string): Promise<StoredDataKey | undefined> {
    return this.registry.get(tenantId, this.toMeetingId(meetingId), this.purpose);
  }

  putIfAbsent(tenantId: string, meetingId: string, key: WrappedDataKey): Promise<StoredDataKey> {
    return this.registry.putIfAbsent(tenantId, this.toMeetingId(meetingId), this.purpose, key);
  }
}
