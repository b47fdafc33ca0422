import type { Alert, Meeting, Report, TranscriptSegment } from '@confide/contracts';
import { MeetingStatus } from '@confide/contracts';
import type { MeetingRef } from '../../src/domain/identifiers';
import type { MeetingCursor } from '../../src/domain/page-token';
import type { MeetingQueries } from '../../src/ports/meeting-queries.port';
import { QueryMeetings } from '../../src/use-cases/query-meetings.use-case';

/** Meetings in memory, ordered like the Postgres query (start desc, id desc). */
class FakeMeetingQueries implements MeetingQueries {
  constructor(readonly meetings: Meeting[]) {}
  async listMeetings(tenantId: string, limit: number, after?: MeetingCursor): Promise<Meeting[]> {
    return this.meetings
      .filter((m) => m.tenantId === tenantId)
      .sort((a, b) => b.startedAtUnixMs - a.startedAtUnixMs || (a.meetingId < b.meetingId ? 1 : -1))
      .filter((m) => !after || m.startedAtUnixMs < after.startedAtMs || (m.startedAtUnixMs === after.startedAtMs && m.meetingId < after.meetingId))
      .slice(0, limit);
  }
  async getMeeting(ref: MeetingRef): Promise<Meeting | undefined> {
    return this.meetings.find((m) => m.tenantId === ref.tenantId && m.meetingId === ref.meetingId);
  }
  async getTranscript(ref: MeetingRef): Promise<TranscriptSegment[] | undefined> {
    return (await this.getMeeting(ref)) ? [] : undefined;
  }
  async listAlerts(ref: MeetingRef): Promise<Alert[] | undefined> {
    return (await this.getMeeting(ref)) ? [] : undefined;
  }
  async getReport(): Promise<Report | undefined> {
    return undefined;
  }
}

const meeting = (tenantId: string, meetingId: string, startedAtUnixMs: number): Meeting => ({
  tenantId,
  meetingId,
  title: '',
  participants: [],
  status: MeetingStatus.MEETING_STATUS_ACTIVE,
  startedAtUnixMs,
  endedAtUnixMs: 0,
  segmentCount: 0,
});

describe('QueryMeetings', () => {
  const fake = new FakeMeetingQueries([
    meeting('t', 'a', 1),
    meeting('t', 'b', 2),
    meeting('t', 'c', 3),
    meeting('t', 'd', 3),
    meeting('t', 'e', 4),
    meeting('other', 'x', 5),
  ]);
  const queries = new QueryMeetings({ queries: fake });

  it('walks every page once, with no token after the last one', async () => {
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await queries.list({ tenantId: 't', pageSize: 2, pageToken });
      seen.push(...page.meetings.map((m) => m.meetingId));
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken !== '' && pages < 10);
    expect(seen).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(pages).toBe(3);
  });

  it('gives no next token when the page is exactly full at the end', async () => {
    const page = await queries.list({ tenantId: 't', pageSize: 5, pageToken: '' });
    expect(page.meetings).toHaveLength(5);
    expect(page.nextPageToken).toBe('');
  });

  it('maps a missing meeting or report to not-found', async () => {
    await expect(queries.get({ tenantId: 'other', meetingId: 'a' })).rejects.toMatchObject({ kind: 'not-found' });
    await expect(queries.transcript({ tenantId: 'other', meetingId: 'a' })).rejects.toMatchObject({ kind: 'not-found' });
    await expect(queries.alerts({ tenantId: 'other', meetingId: 'a' })).rejects.toMatchObject({ kind: 'not-found' });
    await expect(queries.report({ tenantId: 't', meetingId: 'a' })).rejects.toMatchObject({ kind: 'not-found' });
    await expect(queries.get({ tenantId: '', meetingId: 'a' })).rejects.toMatchObject({ kind: 'invalid-argument' });
  });
});
