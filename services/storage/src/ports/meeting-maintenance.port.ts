import type { MeetingRef } from '../domain/identifiers';

export interface ExpiredMeetingRow {
  meetingId: string;
  endedAtMs: number;
  /** Undefined when not archived. */
  archivedAtMs?: number;
}

export interface TenantPurgeCounts {
  meetings: number;
  segments: number;
  alerts: number;
  reports: number;
  /** Data keys of the tenant destroyed (tombstoned) by the purge. */
  dataKeys: number;
}

export interface ParticipantPurgeCounts {
  meetingsAffected: number;
  segments: number;
  alerts: number;
}

/**
 * Maintenance of stored meetings for lifecycle's retention, audio-key deadline and erasure
 * (docs/adr/0012-retention.md). `listTenants` is the only cross-tenant statement (the tenant
 * registry: ids only); everything else runs in one tenant's row-level-security scope.
 */
export interface MeetingMaintenanceStore {
  listTenants(afterTenantId: string, limit: number): Promise<string[]>;
  /** Meetings of the tenant that ended at or before `endedBeforeMs`, oldest end first. */
  listExpired(tenantId: string, endedBeforeMs: number, limit: number, includeArchived: boolean): Promise<ExpiredMeetingRow[]>;
  /** Meetings ended at or before `endedBeforeMs` whose audio key is still active. */
  listAudioKeysDue(tenantId: string, endedBeforeMs: number, limit: number): Promise<string[]>;
  /** True when this call archived the meeting. */
  archive(ref: MeetingRef, atMs: number): Promise<boolean>;
  /** True when this call restored the meeting. */
  restore(ref: MeetingRef): Promise<boolean>;
  purgeTenant(tenantId: string, erasedAtMs: number): Promise<TenantPurgeCounts>;
  purgeParticipant(tenantId: string, participantId: string): Promise<ParticipantPurgeCounts>;
}
