import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Envelope, MeetingStartedEvent, type AudioFrameReceivedEvent } from '@confide/contracts';
import {
  EventHeaders,
  EventPublisher,
  EventRouter,
  Events,
  InProcessEventBus,
  PoisonMessageError,
  createLogger,
  decodeEvent,
  ensureTracePropagation,
  eventItem,
  type ReceivedMessage,
} from '../../src';

class FakeLogSink extends Writable {
  override _write(_chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    cb();
  }
}

const logger = createLogger({ service: 'test', destination: new FakeLogSink() });

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const message = (value: Buffer, headers: Record<string, string> = {}): ReceivedMessage => ({
  topic: 't',
  partition: 0,
  offset: '0',
  key: 'k',
  value,
  headers,
  attempt: 1,
});

describe('EventPublisher -> InProcessEventBus -> EventRouter', () => {
  let bus: InProcessEventBus;

  beforeAll(() => {
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    ensureTracePropagation();
  });

  beforeEach(() => {
    bus = new InProcessEventBus({ defaultPartitions: 2 });
  });

  afterEach(async () => {
    await bus.close();
  });

  it('publishes a typed envelope with headers and routes it to the typed handler', async () => {
    const publisher = new EventPublisher(bus, { clock: { now: () => 1234 }, ids: { newId: () => 'evt-1' } });
    const got: Array<{ value: MeetingStartedEvent; envelope: Envelope; message: ReceivedMessage }> = [];
    const router = new EventRouter(logger).on(Events.MeetingStarted, async (value, envelope, msg) => {
      got.push({ value, envelope, message: msg });
    });
    await bus.subscribe({ groupId: 'g', topics: ['meetings'], handler: router.handler });
    const event = MeetingStartedEvent.fromPartial({ meetingId: 'm-1', tenantId: 't-1', title: 'Weekly', startedAtUnixMs: 99 });
    await publisher.publish('meetings', Events.MeetingStarted, event, { tenantId: 't-1', meetingId: 'm-1' });
    await waitFor('the event', () => got.length === 1);
    const [{ value, envelope, message: msg }] = got as [(typeof got)[number]];
    expect(value).toEqual(event);
    expect(envelope).toMatchObject({
      id: 'evt-1',
      type: 'confide.ingest.v1.MeetingStartedEvent',
      tenantId: 't-1',
      meetingId: 'm-1',
      occurredAtUnixMs: 1234,
      keyRef: '',
      version: 1,
    });
    expect(msg.key).toBe('m-1');
    expect(msg.headers).toMatchObject({
      [EventHeaders.eventType]: 'confide.ingest.v1.MeetingStartedEvent',
      [EventHeaders.eventVersion]: '1',
      [EventHeaders.eventId]: 'evt-1',
    });
  });

  it('carries the trace context of the active span end to end', async () => {
    const publisher = new EventPublisher(bus);
    const seen: Array<{ traceparent: string | undefined; traceId: string | undefined }> = [];
    const router = new EventRouter(logger).on(Events.MeetingEnded, async (_value, _envelope, msg) => {
      seen.push({ traceparent: msg.headers.traceparent, traceId: trace.getSpanContext(context.active())?.traceId });
    });
    await bus.subscribe({ groupId: 'g', topics: ['meetings'], handler: router.handler });
    const tracer = trace.getTracer('test');
    let rootTraceId = '';
    await tracer.startActiveSpan('root', async (span) => {
      rootTraceId = span.spanContext().traceId;
      await publisher.publish('meetings', Events.MeetingEnded, { meetingId: 'm-2', tenantId: 't-1', endedAtUnixMs: 1, lastSequenceByTrack: {} }, { tenantId: 't-1', meetingId: 'm-2' });
      span.end();
    });
    await waitFor('the event', () => seen.length === 1);
    expect(rootTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(rootTraceId).not.toBe('00000000000000000000000000000000');
    expect(seen[0]?.traceparent).toMatch(new RegExp(`^00-${rootTraceId}-[0-9a-f]{16}-01$`));
    expect(seen[0]?.traceId).toBe(rootTraceId);
  });

  it('publishes batches in key order with publishMany and a custom key', async () => {
    const publisher = new EventPublisher(bus);
    const sequences: number[] = [];
    const router = new EventRouter(logger).on(Events.AudioFrameReceived, async (value) => void sequences.push(value.sequence));
    await bus.subscribe({ groupId: 'g', topics: ['audio'], handler: router.handler });
    const frame = (sequence: number): AudioFrameReceivedEvent => ({
      meetingId: 'm-3', tenantId: 't-1', trackId: 'mixed', speakerLabel: '', sequence, data: Buffer.alloc(640), offsetMs: sequence * 20,
    } as AudioFrameReceivedEvent);
    await publisher.publishMany(
      'audio',
      [1, 2, 3].map((s) => eventItem(Events.AudioFrameReceived, frame(s), { tenantId: 't-1', meetingId: 'm-3', key: 'm-3' })),
    );
    await waitFor('three frames', () => sequences.length === 3);
    expect(sequences).toEqual([1, 2, 3]);
  });

  it('acknowledges events of unknown types without calling a handler', async () => {
    const calls: string[] = [];
    const router = new EventRouter(logger).on(Events.MeetingStarted, async () => void calls.push('started'));
    const envelope = Envelope.fromPartial({ id: 'x', type: 'confide.other.v1.Unknown', payload: Buffer.from([1, 2]) });
    await expect(router.handler(message(Buffer.from(Envelope.encode(envelope).finish())))).resolves.toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('throws PoisonMessageError for an undecodable envelope or payload', async () => {
    const router = new EventRouter(logger).on(Events.MeetingStarted, async () => undefined);
    await expect(router.handler(message(Buffer.from([0xff, 0xff, 0xff])))).rejects.toBeInstanceOf(PoisonMessageError);
    expect(() => decodeEvent(message(Buffer.from([0xff, 0xff, 0xff])))).toThrow(PoisonMessageError);
    const badPayload = Envelope.fromPartial({ id: 'y', type: Events.MeetingStarted.typeName, payload: Buffer.from([0x0a, 0xff]) });
    await expect(router.handler(message(Buffer.from(Envelope.encode(badPayload).finish())))).rejects.toBeInstanceOf(PoisonMessageError);
  });
});
