import { InMemoryTranscriptAccumulator } from '../../../src/adapters/memory/in-memory.transcript-accumulator';
import { aSegment } from '../support/segment.builder';

describe('InMemoryTranscriptAccumulator', () => {
  it('deduplicates by segment id and returns segments in time order', () => {
    const acc = new InMemoryTranscriptAccumulator();
    const b = aSegment({ meetingId: 'm1', startMs: 2000 });
    const a = aSegment({ meetingId: 'm1', startMs: 1000 });
    expect(acc.add(b)).toBe(true);
    expect(acc.add(a)).toBe(true);
    expect(acc.add({ ...b })).toBe(false);
    expect(acc.get('m1')).toEqual({ tenantId: 'tenant-1', segments: [a, b], droppedSegments: 0 });
  });

  it('bounds the segments held per meeting and counts the dropped ones', () => {
    const acc = new InMemoryTranscriptAccumulator({ maxSegmentsPerMeeting: 2 });
    const kept = [aSegment({ meetingId: 'm1' }), aSegment({ meetingId: 'm1' })];
    for (const s of kept) acc.add(s);
    expect(acc.add(aSegment({ meetingId: 'm1' }))).toBe(false);
    expect(acc.get('m1')).toMatchObject({ segments: kept, droppedSegments: 1 });
  });

  it('forgets the least recently updated meeting beyond the active-meeting bound', () => {
    const acc = new InMemoryTranscriptAccumulator({ maxActiveMeetings: 2 });
    acc.add(aSegment({ meetingId: 'm1' }));
    acc.add(aSegment({ meetingId: 'm2' }));
    acc.add(aSegment({ meetingId: 'm1' }));
    acc.add(aSegment({ meetingId: 'm3' }));
    expect(acc.get('m2').segments).toEqual([]);
    expect(acc.get('m1').segments).toHaveLength(2);
    expect(acc.evictedMeetings).toBe(1);
    expect(acc.activeMeetings).toBe(2);
  });

  it('drops a completed meeting and remembers a bounded number of completions', () => {
    const acc = new InMemoryTranscriptAccumulator({ maxCompletedMeetings: 1 });
    acc.add(aSegment({ meetingId: 'm1' }));
    acc.complete('m1');
    expect(acc.get('m1').segments).toEqual([]);
    expect(acc.isCompleted('m1')).toBe(true);
    acc.complete('m2');
    expect(acc.isCompleted('m1')).toBe(false);
    expect(acc.isCompleted('m2')).toBe(true);
  });
});
