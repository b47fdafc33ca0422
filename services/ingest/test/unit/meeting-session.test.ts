import { EventEmitter } from 'node:events';
import type { Alert, Report, StreamMeetingResponse, TranscriptSegment } from '@confide/contracts';
import { AppError, createLogger } from '@confide/platform';
import { CallResponseSink } from '../../src/adapters/grpc/meeting.grpc';
import type { ResponseSink } from '../../src/ports/response-sink.port';
import { ActiveMeetings } from '../../src/use-cases/active-meetings.registry';
import { MeetingSession } from '../../src/use-cases/meeting-session';
import { RelayMeetingEvents } from '../../src/use-cases/relay-meeting-events';

const logger = createLogger({ service: 'ingest-test', level: 'silent' });

/** A sink whose writes complete only when the test releases them (a client that does not read). */
class FakeResponseSink implements ResponseSink {
  readonly written: StreamMeetingResponse[] = [];
  blocked = false;
  private readonly held: Array<() => void> = [];

  send(response: StreamMeetingResponse): Promise<void> {
    this.written.push(response);
    if (!this.blocked) return Promise.resolve();
    return new Promise((resolve) => this.held.push(resolve));
  }

  release(): void {
    this.blocked = false;
    for (const resolve of this.held.splice(0)) resolve();
  }

  kinds(): Array<string | undefined> {
    return this.written.map((r) => r.message?.$case);
  }
}

const segment = (id: string, isFinal: boolean, tenantId = 't1', meetingId = 'm1'): TranscriptSegment => ({
  segmentId: id,
  meetingId,
  tenantId,
  trackId: 'alice',
  speakerLabel: 'Alice',
  text: 'hello',
  startMs: 0,
  endMs: 100,
  isFinal,
  confidence: 0,
  sequence: 1,
});
const alert = (id: string): Alert => ({
  alertId: id,
  meetingId: 'm1',
  tenantId: 't1',
  ruleId: 'r',
  severity: 1,
  message: 'm',
  segmentId: 's',
  speakerLabel: 'Alice',
  startMs: 0,
});
const report: Report = { meetingId: 'm1', tenantId: 't1', summary: 's', actionItems: [], decisions: [], engine: 'e', generatedAtUnixMs: 1 };

function session(sink: ResponseSink, maxPendingResponses = 100): MeetingSession {
  const s = new MeetingSession({ tenantId: 't1', meetingId: 'm1', sink, logger, maxPendingResponses });
  s.enableRelay();
  return s;
}

describe('MeetingSession', () => {
  it('relays partials and finals, drops redelivered finals and alerts, and counts them', async () => {
    const sink = new FakeResponseSink();
    const s = session(sink);
    s.relaySegment(segment('a', false));
    s.relaySegment(segment('a', true));
    s.relaySegment(segment('a', true)); // redelivery
    s.relaySegment(segment('a', false)); // late partial after the final
    s.relayAlert(alert('x'));
    s.relayAlert(alert('x'));
    s.markEnded(60_000);
    s.relayReport(report);
    s.relayReport(report);
    await s.completion;
    expect(sink.kinds()).toEqual(['segment', 'segment', 'alert', 'report', 'completed']);
    expect(sink.written.at(-1)?.message).toEqual({ $case: 'completed', completed: { meetingId: 'm1', finalSegmentCount: 1, alertCount: 1 } });
  });

  it('ignores a report before the end message', async () => {
    const sink = new FakeResponseSink();
    const s = session(sink);
    s.relayReport(report);
    s.markEnded(60_000);
    s.relaySegment(segment('b', true));
    s.relayReport(report);
    await s.completion;
    expect(sink.kinds()).toEqual(['segment', 'report', 'completed']);
  });

  it('relays nothing before the stream was accepted', () => {
    const sink = new FakeResponseSink();
    const s = new MeetingSession({ tenantId: 't1', meetingId: 'm1', sink, logger, maxPendingResponses: 10 });
    s.relaySegment(segment('a', false));
    expect(sink.written).toHaveLength(0);
  });

  it('fails with RESOURCE_EXHAUSTED when a client stops reading and responses pile up', async () => {
    const sink = new FakeResponseSink();
    sink.blocked = true;
    const s = session(sink, 3);
    for (let i = 0; i < 5; i += 1) s.relaySegment(segment(`s${i}`, false));
    await expect(s.completion).rejects.toMatchObject({ kind: 'resource-exhausted' });
    sink.release();
  });

  it('fails with DEADLINE_EXCEEDED when no report arrives after end', async () => {
    const s = session(new FakeResponseSink());
    s.markEnded(1);
    await expect(s.completion).rejects.toEqual(new AppError('deadline-exceeded', 'no report for meeting m1 within 1 ms after the end message'));
  });
});

describe('RelayMeetingEvents', () => {
  it('relays only to the stream of the event\'s tenant and meeting, and drops payloads that disagree with their envelope', async () => {
    const meetings = new ActiveMeetings();
    const sink = new FakeResponseSink();
    const s = session(sink);
    expect(meetings.claim(s)).toBe(true);
    expect(meetings.claim(session(new FakeResponseSink()))).toBe(false);
    const relay = new RelayMeetingEvents(meetings, logger);
    relay.segment({ tenantId: 't1', meetingId: 'm1' }, segment('ok', false));
    relay.segment({ tenantId: 't2', meetingId: 'm1' }, segment('other-tenant', false, 't2'));
    relay.segment({ tenantId: 't1', meetingId: 'm1' }, segment('mismatch', false, 't2'));
    relay.segment({ tenantId: 't1', meetingId: 'm2' }, segment('other-meeting', false, 't1', 'm2'));
    await Promise.resolve();
    expect(sink.written.map((r) => (r.message?.$case === 'segment' ? r.message.segment.segmentId : ''))).toEqual(['ok']);
    meetings.release(s);
    expect(meetings.find('t1', 'm1')).toBeUndefined();
  });
});

/** A call whose write buffer is full until the test emits 'drain'. */
class FakeCall extends EventEmitter {
  cancelled = false;
  destroyed = false;
  writableEnded = false;
  writes: unknown[] = [];
  full = false;
  write(response: unknown): boolean {
    this.writes.push(response);
    return !this.full;
  }
}

describe('CallResponseSink', () => {
  const response: StreamMeetingResponse = { message: { $case: 'accepted', accepted: { meetingId: 'm1' } } };

  it('waits for drain when the call\'s write buffer is full', async () => {
    const call = new FakeCall();
    call.full = true;
    const sink = new CallResponseSink(call as never);
    let done = false;
    const sent = sink.send(response).then(() => {
      done = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    call.emit('drain');
    await sent;
    expect(done).toBe(true);
  });

  it('rejects when the call is cancelled while waiting, and once it is closed', async () => {
    const call = new FakeCall();
    call.full = true;
    const sink = new CallResponseSink(call as never);
    const sent = sink.send(response);
    call.cancelled = true;
    call.emit('cancelled');
    await expect(sent).rejects.toMatchObject({ kind: 'cancelled' });
    await expect(sink.send(response)).rejects.toMatchObject({ kind: 'cancelled' });
  });
});
