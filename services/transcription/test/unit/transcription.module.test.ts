import * as grpc from '@grpc/grpc-js';
import {
  TranscriptionServiceClient,
  type DescribeEngineRequest,
  type DescribeEngineResponse,
  type TranscriptionCompletedEvent,
  type TranscriptSegment,
} from '@confide/contracts';
import {
  GrpcServer,
  LoggingDecisionAuditor,
  PolicyEvaluator,
  callUnary,
  createGrpcClient,
  generateServiceTrust,
  subjectAssertionMetadata,
  type RpcAuthorizationDeps,
  type ServiceTrust,
  type Subject,
  EventPublisher,
  EventRouter,
  Events,
  InProcessEventBus,
  Topics,
  createLogger,
  type ServiceModule,
  type Subscription,
} from '@confide/platform';
import { createTranscriptionModule } from '../../src';
import { FakeSttEngine } from './fake-stt-engine';

const logger = createLogger({ service: 'transcription-test', level: 'silent' });
const TENANT = 'tenant-1';
const FRAME_BYTES = 3200; // 100 ms

// Authorization as in production: signed subject assertions, the compiled policy.
let trust: ServiceTrust;
let evaluator: PolicyEvaluator;
let authorization: RpcAuthorizationDeps;
beforeAll(async () => {
  trust = await generateServiceTrust(['gateway', 'ingest']);
  evaluator = await PolicyEvaluator.load({ logger, watch: false });
  authorization = { evaluator, verifier: trust.verifier, auditor: new LoggingDecisionAuditor(logger) };
});
afterAll(() => evaluator.close());

interface Harness {
  bus: InProcessEventBus;
  engine: FakeSttEngine;
  module: ServiceModule;
  publisher: EventPublisher;
  segments: TranscriptSegment[];
  completed: Promise<TranscriptionCompletedEvent>;
  collector: Subscription;
}

async function harness(finalsOnEnd = 1): Promise<Harness> {
  const bus = new InProcessEventBus({ logger });
  const engine = new FakeSttEngine(finalsOnEnd);
  const module = createTranscriptionModule({ logger, bus, engine, authorization, clock: { now: () => 1_700_000_000_000 } });
  await module.start();
  const segments: TranscriptSegment[] = [];
  let resolveCompleted!: (e: TranscriptionCompletedEvent) => void;
  const completed = new Promise<TranscriptionCompletedEvent>((r) => (resolveCompleted = r));
  const router = new EventRouter(logger)
    .on(Events.SegmentTranscribed, async (e) => {
      if (e.segment) segments.push(e.segment);
    })
    .on(Events.TranscriptionCompleted, async (e) => resolveCompleted(e));
  const collector = await bus.subscribe({ groupId: 'test-collector', topics: [Topics.transcript], handler: router.handler });
  return { bus, engine, module, publisher: new EventPublisher(bus), segments, completed, collector };
}

async function close(h: Harness): Promise<void> {
  await h.collector.close();
  await h.module.stop();
  await h.bus.close();
}

function frame(h: Harness, meetingId: string, trackId: string, sequence: number, offsetMs = sequence * 100): Promise<void> {
  return h.publisher.publish(
    Topics.audio,
    Events.AudioFrameReceived,
    {
      meetingId,
      tenantId: TENANT,
      trackId,
      speakerLabel: trackId === 'alice' ? 'Alice' : 'Bob',
      sequence,
      data: Buffer.alloc(FRAME_BYTES, 1),
      offsetMs,
    },
    { tenantId: TENANT, meetingId },
  );
}

function ended(h: Harness, meetingId: string, lastSequenceByTrack: Record<string, number>): Promise<void> {
  return h.publisher.publish(
    Topics.meeting,
    Events.MeetingEnded,
    { meetingId, tenantId: TENANT, endedAtUnixMs: 1, lastSequenceByTrack },
    { tenantId: TENANT, meetingId },
  );
}

describe('transcription module', () => {
  let h: Harness;
  afterEach(async () => close(h));

  it('completes a track whose frames all arrived before MeetingEnded', async () => {
    h = await harness();
    for (let s = 0; s < 3; s += 1) await frame(h, 'm1', 'alice', s);
    await ended(h, 'm1', { alice: 2 });
    const done = await h.completed;
    expect(done).toMatchObject({ meetingId: 'm1', tenantId: TENANT, finalSegmentCount: 1, completedAtUnixMs: 1_700_000_000_000 });
    const finals = h.segments.filter((s) => s.isFinal);
    expect(finals).toEqual([
      expect.objectContaining({ segmentId: 'm1:alice:1', trackId: 'alice', speakerLabel: 'Alice', text: 'final 1', sequence: 1, startMs: 0, endMs: 300 }),
    ]);
    expect(h.engine.session('m1', 'alice')?.bytesWritten).toBe(3 * FRAME_BYTES);
  });

  it('waits for frames that arrive after MeetingEnded before completing', async () => {
    h = await harness();
    await frame(h, 'm2', 'alice', 0);
    await ended(h, 'm2', { alice: 2, bob: 0 });
    await frame(h, 'm2', 'bob', 0);
    await frame(h, 'm2', 'alice', 1);
    await frame(h, 'm2', 'alice', 2);
    const done = await h.completed;
    expect(done.finalSegmentCount).toBe(2);
    expect(h.engine.session('m2', 'alice')?.bytesWritten).toBe(3 * FRAME_BYTES);
    expect(h.engine.session('m2', 'bob')?.bytesWritten).toBe(FRAME_BYTES);
    // The fake rejects writes after end(): every frame was written before its track was ended.
    expect(h.segments.filter((s) => s.isFinal).map((s) => s.segmentId).sort()).toEqual(['m2:alice:1', 'm2:bob:1']);
  });

  it('ignores redelivered and out-of-date frames (sequence <= last seen)', async () => {
    h = await harness();
    await frame(h, 'm3', 'alice', 0);
    await frame(h, 'm3', 'alice', 1);
    await frame(h, 'm3', 'alice', 1);
    await frame(h, 'm3', 'alice', 0);
    await frame(h, 'm3', 'alice', 2);
    await ended(h, 'm3', { alice: 2 });
    await h.completed;
    expect(h.engine.session('m3', 'alice')?.bytesWritten).toBe(3 * FRAME_BYTES);
  });

  it('offsets segment times by the first frame offset and numbers segments per utterance', async () => {
    h = await harness(2);
    await frame(h, 'm4', 'bob', 5, 10_000);
    await frame(h, 'm4', 'bob', 6, 10_100);
    await ended(h, 'm4', { bob: 6 });
    const done = await h.completed;
    expect(done.finalSegmentCount).toBe(2);
    const finals = h.segments.filter((s) => s.isFinal);
    expect(finals.map((s) => [s.segmentId, s.sequence, s.startMs, s.endMs])).toEqual([
      ['m4:bob:1', 1, 10_000, 10_100],
      ['m4:bob:2', 2, 10_100, 10_200],
    ]);
    expect(h.segments.filter((s) => !s.isFinal).every((s) => s.segmentId === 'm4:bob:1')).toBe(true);
  });

  it('fills a gap between frame offsets with silence to keep the timeline', async () => {
    h = await harness();
    await frame(h, 'm5', 'alice', 0, 0);
    await frame(h, 'm5', 'alice', 2, 200);
    await ended(h, 'm5', { alice: 2 });
    await h.completed;
    expect(h.engine.session('m5', 'alice')?.bytesWritten).toBe(3 * FRAME_BYTES);
  });

  it('completes a meeting without audio on MeetingEnded', async () => {
    h = await harness();
    await ended(h, 'm6', {});
    const done = await h.completed;
    expect(done).toMatchObject({ meetingId: 'm6', finalSegmentCount: 0 });
    expect(h.engine.sessions).toHaveLength(0);
  });

  it("serves DescribeEngine to the gateway for an admin of the user's own tenant, and to no one else", async () => {
    h = await harness();
    const server = new GrpcServer({ address: '127.0.0.1:0', logger, reflection: false });
    for (const registration of h.module.grpcServices) server.add(registration);
    const { port } = await server.start();
    const client = createGrpcClient(TranscriptionServiceClient, `127.0.0.1:${port}`);
    const user = (roles: string[]): Subject => ({ id: 'u-1', tenant: TENANT, roles, kind: 'user', mfa: true });
    const as = async (service: string, subject: Subject | undefined) =>
      callUnary<DescribeEngineRequest, DescribeEngineResponse>(client, 'describeEngine', {}, {
        metadata: subjectAssertionMetadata(await trust.signer(service).sign(subject)),
      });
    const code = (p: Promise<unknown>) => p.then(() => 'OK', (err: grpc.ServiceError) => grpc.status[err.code]);
    try {
      const res = await as('gateway', user(['owner']));
      expect(res).toMatchObject({ engine: h.engine.info.engine, language: h.engine.info.language, destination: h.engine.info.destination });
      expect(await code(callUnary(client, 'describeEngine', {}))).toBe('UNAUTHENTICATED');
      expect(await code(as('gateway', user(['member'])))).toBe('PERMISSION_DENIED');
      expect(await code(as('gateway', user(['auditor'])))).toBe('PERMISSION_DENIED');
      expect(await code(as('ingest', user(['admin'])))).toBe('PERMISSION_DENIED');
      expect(await code(as('gateway', { id: 'staff-1', tenant: '', roles: [], kind: 'staff', mfa: true }))).toBe('PERMISSION_DENIED');
    } finally {
      client.close();
      await server.shutdown({ graceMs: 100 });
    }
  });
});
