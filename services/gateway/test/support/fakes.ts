import type { Alert, DeleteMeetingResponse, Report, TranscriptSegment } from '@confide/contracts';
import { notFound } from '@confide/platform';
import type { DeleteMeetingCommand, LifecyclePort } from '../../src/ports/lifecycle.port';
import type { CallContext, MeetingPage, MeetingRef, OwnedMeeting, StoragePort } from '../../src/ports/storage.port';

interface StoredMeeting {
  meeting: OwnedMeeting;
  segments: TranscriptSegment[];
  alerts: Alert[];
  report?: Report;
}

/** In-memory StoragePort keyed by tenant and meeting; records every call's tenant and context. */
export class FakeStorage implements StoragePort {
  readonly calls: Array<{ method: string; tenantId: string; meetingId?: string; ctx: CallContext; pageSize?: number; pageToken?: string }> = [];
  /** When set, every call rejects with it. */
  failWith: unknown;
  isReady = true;
  private readonly meetings = new Map<string, StoredMeeting>();

  add(stored: StoredMeeting): this {
    this.meetings.set(`${stored.meeting.tenantId}/${stored.meeting.meetingId}`, stored);
    return this;
  }

  async listMeetings(query: { tenantId: string; pageSize: number; pageToken: string }, ctx: CallContext): Promise<MeetingPage> {
    this.record('listMeetings', query, ctx);
    const meetings = [...this.meetings.values()].filter((m) => m.meeting.tenantId === query.tenantId).map((m) => m.meeting);
    return { meetings: meetings.slice(0, query.pageSize), nextPageToken: meetings.length > query.pageSize ? 'next' : '' };
  }

  async getMeeting(ref: MeetingRef, ctx: CallContext): Promise<OwnedMeeting> {
    return this.find('getMeeting', ref, ctx).meeting;
  }

  async getTranscript(ref: MeetingRef, ctx: CallContext): Promise<TranscriptSegment[]> {
    return this.find('getTranscript', ref, ctx).segments;
  }

  async listAlerts(ref: MeetingRef, ctx: CallContext): Promise<Alert[]> {
    return this.find('listAlerts', ref, ctx).alerts;
  }

  async getReport(ref: MeetingRef, ctx: CallContext): Promise<Report> {
    const report = this.find('getReport', ref, ctx).report;
    if (!report) throw notFound(`report of meeting ${ref.meetingId} not found`);
    return report;
  }

  async ready(): Promise<boolean> {
    return this.isReady;
  }

  private record(method: string, ref: { tenantId: string; meetingId?: string; pageSize?: number; pageToken?: string }, ctx: CallContext): void {
    this.calls.push({ method, ...ref, ctx });
    if (this.failWith !== undefined) throw this.failWith;
  }

  private find(method: string, ref: MeetingRef, ctx: CallContext): StoredMeeting {
    this.record(method, ref, ctx);
    const stored = this.meetings.get(`${ref.tenantId}/${ref.meetingId}`);
    if (!stored) throw notFound(`meeting ${ref.meetingId} not found`);
    return stored;
  }
}

/** LifecyclePort that records erasure requests. */
export class FakeLifecycle implements LifecyclePort {
  readonly deletions: Array<{ command: DeleteMeetingCommand; ctx: CallContext }> = [];
  failWith: unknown;
  isReady = true;

  constructor(private readonly erasedAtUnixMs = Date.UTC(2025, 0, 2, 3, 4, 5)) {}

  async deleteMeeting(command: DeleteMeetingCommand, ctx: CallContext): Promise<DeleteMeetingResponse> {
    this.deletions.push({ command, ctx });
    if (this.failWith !== undefined) throw this.failWith;
    return { meetingId: command.meetingId, erased: { meetings: 1, segments: 12, alerts: 2, reports: 1 }, erasedAtUnixMs: this.erasedAtUnixMs };
  }

  async ready(): Promise<boolean> {
    return this.isReady;
  }
}
