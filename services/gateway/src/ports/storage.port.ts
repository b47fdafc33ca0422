import type { Alert, Meeting, Report, TranscriptSegment } from '@confide/contracts';

/** Per-call options every downstream call carries. */
export interface CallContext {
  /** Aborted when the HTTP client goes away: the downstream call is cancelled. */
  signal: AbortSignal;
  /** Propagated to the peer as `x-request-id` metadata. */
  requestId: string;
  /**
   * The gateway's signed subject assertion for this request (the authenticated end user),
   * sent as `x-confide-subject` metadata (SUBJECT_ASSERTION_METADATA). The gateway module
   * always has a signer; the peers refuse calls without an assertion.
   */
  subjectAssertion?: string;
}

export interface MeetingRef {
  tenantId: string;
  meetingId: string;
}

/**
 * A meeting as storage returns it, with its owner (the organizer) when storage knows it.
 * The proto `Meeting` has no owner yet: without `ownerId` the owner is "" and members are
 * denied every meeting they do not own (fail closed); owners and admins are unaffected.
 */
export type OwnedMeeting = Meeting & { ownerId?: string };

export interface MeetingPage {
  meetings: Meeting[];
  /** Empty when there is no further page. */
  nextPageToken: string;
}

/**
 * Reads from the storage service. Rejections are AppErrors (not-found, invalid-argument,
 * permission-denied, unavailable, deadline-exceeded, ...) or, for failures that have no
 * meaning to a caller, plain Errors (surfaced as 500 without details).
 */
export interface StoragePort {
  listMeetings(query: { tenantId: string; pageSize: number; pageToken: string }, ctx: CallContext): Promise<MeetingPage>;
  /** Rejects not-found when the meeting does not exist for the tenant. */
  getMeeting(ref: MeetingRef, ctx: CallContext): Promise<OwnedMeeting>;
  getTranscript(ref: MeetingRef, ctx: CallContext): Promise<TranscriptSegment[]>;
  listAlerts(ref: MeetingRef, ctx: CallContext): Promise<Alert[]>;
  /** Rejects not-found when the meeting has no report (yet). */
  getReport(ref: MeetingRef, ctx: CallContext): Promise<Report>;
  /** True when the peer answers grpc.health.v1 with SERVING. */
  ready(): Promise<boolean>;
}
