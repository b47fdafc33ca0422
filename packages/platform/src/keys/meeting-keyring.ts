import { DataKeyCache, type DataKey, type DataKeyCacheStats } from '../kms/data-key-cache';
import type { Kms } from '../kms/kms.port';
import type { Clock } from '../runtime/clock';
import type { KeyPurpose, KeyRegistry } from './key-registry.port';
import { RegistryWrappedKeyStore } from './registry.wrapped-key-store';
import { TenantKeyProvisioningKms } from './tenant-key.provisioning-kms';

export interface MeetingKeyringOptions {
  kms: Kms;
  registry: KeyRegistry;
  /** Most meetings held in plaintext per purpose. Default 1000. */
  maxEntries?: number;
  /** Idle TTL of plaintext meeting keys. Default 10 minutes. */
  meetingKeyTtlMs?: number;
  /** Idle TTL of plaintext audio keys (short: audio stops when the meeting ends). Default 2 minutes. */
  audioKeyTtlMs?: number;
  /** Create a tenant's key on first use (tenant onboarding). Default true. */
  provisionTenantKeys?: boolean;
  clock?: Clock;
}

export interface MeetingKeyringStats {
  meeting: DataKeyCacheStats;
  audio: DataKeyCacheStats;
  /** Data-key KMS calls (generate + unwrap) of both purposes. */
  kmsCalls: number;
  /** Tenant keys created on first use. */
  tenantKeysCreated: number;
}

const AUDIO_SUFFIX = '/audio';

/**
 * A process's plaintext meeting and audio data keys (one `DataKeyCache` per purpose) over the
 * key registry, which holds them wrapped under the tenant key. The source of keys for the
 * `PayloadProtector` (bus) and for storage's content columns: share one per process so a
 * meeting costs at most one KMS call per purpose per process.
 *
 * The audio cache addresses meetings as `<meetingId>/audio`, so the KMS context its wrapped
 * keys are bound to differs from the meeting key's: a wrapped meeting key copied into the audio
 * row does not unwrap there.
 */
export class MeetingKeyring {
  private readonly meetingKeys: DataKeyCache;
  private readonly audioKeys: DataKeyCache;
  private readonly provisioning: TenantKeyProvisioningKms | undefined;

  constructor(private readonly opts: MeetingKeyringOptions) {
    this.provisioning = opts.provisionTenantKeys === false ? undefined : new TenantKeyProvisioningKms(opts.kms);
    const kms = this.provisioning ?? opts.kms;
    const common = { kms, ...(opts.maxEntries ? { maxEntries: opts.maxEntries } : {}), ...(opts.clock ? { clock: opts.clock } : {}) };
    this.meetingKeys = new DataKeyCache({
      ...common,
      store: new RegistryWrappedKeyStore(opts.registry, 'meeting'),
      ttlMs: opts.meetingKeyTtlMs ?? 10 * 60_000,
    });
    this.audioKeys = new DataKeyCache({
      ...common,
      store: new RegistryWrappedKeyStore(opts.registry, 'audio', fromAudioId),
      ttlMs: opts.audioKeyTtlMs ?? 2 * 60_000,
    });
  }

  /** The meeting's key of `purpose`, created on first use (writers). */
  getOrCreate(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<DataKey> {
    return purpose === 'audio' ? this.audioKeys.getOrCreate(tenantId, audioId(meetingId)) : this.meetingKeys.getOrCreate(tenantId, meetingId);
  }

  /** The meeting's existing key of `purpose` (readers): `DataKeyNotFoundError` / `MeetingKeyErasedError` otherwise. */
  get(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<DataKey> {
    return purpose === 'audio' ? this.audioKeys.get(tenantId, audioId(meetingId)) : this.meetingKeys.get(tenantId, meetingId);
  }

  /**
   * Destroys the meeting's key of `purpose` in the registry (wrapped key deleted, tombstone
   * recorded) and drops this process's plaintext copy. Idempotent.
   */
  async destroy(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<boolean> {
    this.evict(meetingId, purpose);
    try {
      return await this.opts.registry.destroy(tenantId, meetingId, purpose);
    } finally {
      this.evict(meetingId, purpose); // a load that raced the destruction does not survive it
    }
  }

  /** Drops this process's plaintext key(s) of the meeting. */
  evict(meetingId: string, purpose?: KeyPurpose): void {
    if (purpose !== 'audio') this.meetingKeys.evict(meetingId);
    if (purpose !== 'meeting') this.audioKeys.evict(audioId(meetingId));
  }

  clear(): void {
    this.meetingKeys.clear();
    this.audioKeys.clear();
  }

  stats(): MeetingKeyringStats {
    const meeting = this.meetingKeys.stats();
    const audio = this.audioKeys.stats();
    return { meeting, audio, kmsCalls: meeting.kmsCalls + audio.kmsCalls, tenantKeysCreated: this.provisioning?.tenantKeysCreated ?? 0 };
  }
}

const audioId = (meetingId: string): string => `${meetingId}${AUDIO_SUFFIX}`;
const fromAudioId = (id: string): string => (id.endsWith(AUDIO_SUFFIX) ? id.slice(0, -AUDIO_SUFFIX.length) : id);
