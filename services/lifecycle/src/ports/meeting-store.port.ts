/** Rows removed by a purge. */
export interface ErasedCounts {
  meetings: number;
  segments: number;
  alerts: number;
  reports: number;
}

/**
 * The stored records of meetings, owned by the storage service (StorageService.PurgeMeeting
 * over gRPC). Purge is idempotent: a second call removes nothing. Errors are AppErrors
 * (not-found, unavailable, deadline-exceeded, ...).
 */
export interface MeetingStore {
  purgeMeeting(ref: { tenantId: string; meetingId: string }, opts?: { signal?: AbortSignal }): Promise<ErasedCounts>;
}
