import type { Alert, Meeting, Report, TranscriptSegment } from '@confide/contracts';
import { notFound } from '@confide/platform';
import { requireId, requireMeetingRef } from '../domain/identifiers';
import { decodePageToken, encodePageToken, normalizePageSize } from '../domain/page-token';
import type { MeetingQueries } from '../ports/meeting-queries.port';

export interface MeetingPage {
  meetings: Meeting[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/** Tenant-scoped reads; NOT_FOUND when the tenant has no such meeting (or it was erased). */
export class QueryMeetings {
  constructor(private readonly deps: { queries: MeetingQueries }) {}

  async list(req: { tenantId: string; pageSize: number; pageToken: string }): Promise<MeetingPage> {
    const tenantId = requireId('tenant_id', req.tenantId);
    const size = normalizePageSize(req.pageSize);
    const after = decodePageToken(req.pageToken);
    // One extra row tells whether another page exists.
    const rows = await this.deps.queries.listMeetings(tenantId, size + 1, after);
    const meetings = rows.slice(0, size);
    const last = meetings[meetings.length - 1];
    const nextPageToken = rows.length > size && last ? encodePageToken({ startedAtMs: last.startedAtUnixMs, meetingId: last.meetingId }) : '';
    return { meetings, nextPageToken };
  }

  async get(req: { tenantId: string; meetingId: string }): Promise<Meeting> {
    const meeting = await this.deps.queries.getMeeting(requireMeetingRef(req));
    if (!meeting) throw notFound('meeting not found');
    return meeting;
  }

  async transcript(req: { tenantId: string; meetingId: string }): Promise<TranscriptSegment[]> {
    const segments = await this.deps.queries.getTranscript(requireMeetingRef(req));
    if (!segments) throw notFound('meeting not found');
    return segments;
  }

  async alerts(req: { tenantId: string; meetingId: string }): Promise<Alert[]> {
    const alerts = await this.deps.queries.listAlerts(requireMeetingRef(req));
    if (!alerts) throw notFound('meeting not found');
    return alerts;
  }

  async report(req: { tenantId: string; meetingId: string }): Promise<Report> {
    const report = await this.deps.queries.getReport(requireMeetingRef(req));
    if (!report) throw notFound('report not found');
    return report;
  }
}
