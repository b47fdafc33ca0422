import { MeetingProgress } from '../../../src/domain/meeting-progress';
import { segmentId } from '../../../src/domain/segment';

describe('MeetingProgress', () => {
  it('is not complete before MeetingEnded even with frames', () => {
    const m = new MeetingProgress('m', 't');
    const a = m.track('alice', 'Alice');
    m.recordWritten(a, 5);
    expect(m.isTrackComplete(a)).toBe(false);
    expect(m.allTracksFinished()).toBe(false);
  });

  it('completes a track once its last sequence is written, in either order', () => {
    const m = new MeetingProgress('m', 't');
    const a = m.track('alice', 'Alice');
    m.recordWritten(a, 0);
    m.markEnded({ alice: 1, bob: 0 });
    expect(m.isTrackComplete(a)).toBe(false);
    m.recordWritten(a, 1);
    expect(m.completeTracks().map((t) => t.trackId)).toEqual(['alice']);
    a.finished = true;
    expect(m.allTracksFinished()).toBe(false); // bob announced, no frame yet
    const b = m.track('bob', 'Bob');
    m.recordWritten(b, 0);
    b.finished = true;
    expect(m.allTracksFinished()).toBe(true);
  });

  it('classifies frames: new, duplicate (<= last) and late (after the track finished)', () => {
    const m = new MeetingProgress('m', 't');
    const a = m.track('alice', 'Alice');
    expect(m.classifyFrame(a, 0)).toBe('write');
    m.recordWritten(a, 3);
    expect(m.classifyFrame(a, 3)).toBe('duplicate');
    expect(m.classifyFrame(a, 2)).toBe('duplicate');
    expect(m.classifyFrame(a, 4)).toBe('write');
    a.finished = true;
    expect(m.classifyFrame(a, 9)).toBe('late');
  });

  it('completes a meeting without audio as soon as it ended', () => {
    const m = new MeetingProgress('m', 't');
    m.markEnded({});
    expect(m.allTracksFinished()).toBe(true);
  });

  it('builds segment ids from meeting, track and utterance', () => {
    expect(segmentId('meet-1', 'alice', 7)).toBe('meet-1:alice:7');
  });
});
