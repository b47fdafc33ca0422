export interface EndedMeeting {
  tenantId: string;
  meetingId: string;
  endedAtMs: number;
}

/**
 * Meetings that ended, the input of the retention scheduler (a later task). Today in
 * memory (InMemoryEndedMeetings: lost on restart, bounded); later a Postgres table with
 * the tenant's retention policy applied.
 */
export interface EndedMeetings {
  recordEnded(meeting: EndedMeeting): Promise<void>;
  forget(ref: { tenantId: string; meetingId: string }): Promise<void>;
  /** Ended at or before `cutoffMs`, oldest first. */
  endedBefore(cutoffMs: number, limit: number): Promise<EndedMeeting[]>;
}
