import { MeetingStatus } from '@confide/contracts';
import { AppError } from '@confide/platform';
import { openMeeting, openReport, sealMeeting, sealReport, sealSegment } from '../../src/adapters/postgres/content.codec';
import { requireId, requireMeetingRef } from '../../src/domain/identifiers';
import { StatusRank, laterStatus, statusToProto } from '../../src/domain/meeting-status';

const ctx = { tenantId: 't', meetingId: 'm', kind: 'report' as const, recordId: 'm' };

describe('meeting status', () => {
  it('maps stored ranks to the proto enum', () => {
    expect(statusToProto(StatusRank.placeholder)).toBe(MeetingStatus.MEETING_STATUS_UNSPECIFIED);
    expect(statusToProto(StatusRank.active)).toBe(MeetingStatus.MEETING_STATUS_ACTIVE);
    expect(statusToProto(StatusRank.ended)).toBe(MeetingStatus.MEETING_STATUS_ENDED);
    expect(statusToProto(StatusRank.transcribed)).toBe(MeetingStatus.MEETING_STATUS_TRANSCRIBED);
  });

  it('only moves forward', () => {
    expect(laterStatus(StatusRank.ended, StatusRank.active)).toBe(StatusRank.ended);
    expect(laterStatus(StatusRank.active, StatusRank.transcribed)).toBe(StatusRank.transcribed);
  });
});

describe('content codec', () => {
  it('round-trips report content', async () => {
    const content = {
      summary: 'Summary',
      actionItems: [{ text: 'Send it', owner: 'Alice', segmentId: 'm:p1:1' }],
      decisions: [{ text: 'Ship', segmentId: 'm:p1:2' }],
    };
    expect(await openReport(ctx, await sealReport(ctx, content))).toEqual(content);
  });

  it('round-trips meeting content', async () => {
    const content = { title: 'Weekly', participants: [{ id: 'p1', speakerLabel: 'Alice' }] };
    const mctx = { ...ctx, kind: 'meeting' as const };
    expect(await openMeeting(mctx, await sealMeeting(mctx, content))).toEqual(content);
  });

  it('drops NUL characters that PostgreSQL text cannot hold', async () => {
    expect((await sealSegment({ ...ctx, kind: 'segment' }, { text: 'a\u0000b', speakerLabel: 'S' })).text).toBe('ab');
  });
});

describe('identifiers', () => {
  it('accepts ids and rejects empty, control-character and oversized ones without echoing them', () => {
    expect(requireMeetingRef({ tenantId: 't', meetingId: 'm' })).toEqual({ tenantId: 't', meetingId: 'm' });
    for (const bad of ['', 'a\nb', 'x'.repeat(257)]) {
      let caught: unknown;
      try {
        requireId('meeting_id', bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(AppError);
      expect((caught as AppError).kind).toBe('invalid-argument');
      expect((caught as AppError).message).toMatch(/^meeting_id /);
      if (bad.length > 0) expect((caught as AppError).message).not.toContain(bad);
    }
  });
});
