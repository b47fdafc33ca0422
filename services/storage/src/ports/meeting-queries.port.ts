import type { Alert, Meeting, Report, TranscriptSegment } from '@confide/contracts';
import type { MeetingRef } from '../domain/identifiers';
import type { MeetingCursor } from '../domain/page-token';

/** Tenant-scoped reads. Every method filters on the tenant; erased meetings have no rows. */
export interface MeetingQueries {
  /** By start time desc, then meeting id desc; `limit` rows after `after`. */
  listMeetings(tenantId: string, limit: number, after?: MeetingCursor): Promise<Meeting[]>;
  getMeeting(ref: MeetingRef): Promise<Meeting | undefined>;
  /** Final segments in time order; undefined when the tenant has no such meeting. */
  getTranscript(ref: MeetingRef): Promise<TranscriptSegment[] | undefined>;
  /** Alerts in time order; undefined when the tenant has no such meeting. */
  listAlerts(ref: MeetingRef): Promise<Alert[] | undefined>;
  getReport(ref: MeetingRef): Promise<Report | undefined>;
}
