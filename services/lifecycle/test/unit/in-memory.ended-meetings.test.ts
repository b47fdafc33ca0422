import { InMemoryEndedMeetings } from '../../src/adapters/memory/in-memory.ended-meetings';

describe('InMemoryEndedMeetings', () => {
  it('collapses redeliveries, lists oldest first and drops the oldest beyond its bound', async () => {
    const ended = new InMemoryEndedMeetings(2);
    await ended.recordEnded({ tenantId: 't', meetingId: 'a', endedAtMs: 30 });
    await ended.recordEnded({ tenantId: 't', meetingId: 'a', endedAtMs: 30 });
    await ended.recordEnded({ tenantId: 't', meetingId: 'b', endedAtMs: 10 });
    expect(ended.size).toBe(2);
    expect((await ended.endedBefore(100, 10)).map((m) => m.meetingId)).toEqual(['b', 'a']);
    expect((await ended.endedBefore(20, 10)).map((m) => m.meetingId)).toEqual(['b']);
    await ended.recordEnded({ tenantId: 't', meetingId: 'c', endedAtMs: 5 });
    expect((await ended.endedBefore(100, 10)).map((m) => m.meetingId)).toEqual(['c', 'b']);
    await ended.forget({ tenantId: 't', meetingId: 'c' });
    expect((await ended.endedBefore(100, 10)).map((m) => m.meetingId)).toEqual(['b']);
  });
});
