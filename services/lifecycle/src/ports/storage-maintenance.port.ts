/** A meeting past its retention cutoff. */
export interface ExpiredMeeting {
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
  dataKeys: number;
}

export interface ParticipantPurgeCounts {
  meetingsAffected: number;
  segments: number;
  alerts: number;
}

/**
 * Storage's maintenance operations (StorageMaintenanceService over gRPC,
 * docs/adr/0012-retention.md). Errors are AppErrors (unavailable, deadline-exceeded, ...).
 */
export interface StorageMaintenance {
  /** Tenants that stored meetings, id order, after `afterTenantId` ('' = from the start). */
  listTenants(afterTenantId: string, limit: number): Promise<string[]>;
  listExpiredMeetings(tenantId: string, endedBeforeMs: number, limit: number, includeArchived: boolean): Promise<ExpiredMeeting[]>;
  listAudioKeysDue(tenantId: string, endedBeforeMs: number, limit: number): Promise<string[]>;
  archiveMeeting(ref: { tenantId: string; meetingId: string }): Promise<boolean>;
  restoreMeeting(ref: { tenantId: string; meetingId: string }): Promise<boolean>;
  purgeTenant(tenantId: string): Promise<TenantPurgeCounts>;
  purgeParticipant(tenantId: string, participantId: string): Promise<ParticipantPurgeCounts>;
}
