/**
 * StreamMeeting over a real gRPC server (127.0.0.1, ephemeral port) and a real client, on
 * the in-process event bus (a real adapter). A FakeTranscriber consumes the audio and
 * meeting topics and publishes partial and final segments as transcription would; the test
 * publishes an alert and the report as insights would.
 */
import * as grpc from '@grpc/grpc-js';
import {
  AudioEncoding,
  IngestServiceClient,
  type AudioFrameReceivedEvent,
  type MeetingEndedEvent,
  type StartMeeting,
  type StreamMeetingRequest,
  type StreamMeetingResponse,
  type TranscriptSegment,
} from '@confide/contracts';
import {
  DevIssuer,
  EventPublisher,
  EventRouter,
  Events,
  GrpcServer,
  InProcessEventBus,
  OidcVerifier,
  PolicyEvaluator,
  type Decision,
  type DecisionAuditor,
  type DecisionInputSummary,
  Topics,
  createGrpcClient,
  createLogger,
  runServiceModules,
  type EventBus,
  type Logger,
  type RunningServices,
  type Subscription,
} from '@confide/platform';
import { PolicyStreamAccess, createIngestModule } from '../../src';

jest.setTimeout(30_000);

type Call = grpc.ClientDuplexStream<StreamMeetingRequest, StreamMeetingResponse>;

/** Consumes audio and meeting events; publishes a partial per track on its first frame and finals once a track is complete. */
class FakeTranscriber {
  readonly started = new Set<string>();
  readonly frames: AudioFrameReceivedEvent[] = [];
  readonly ended = new Map<string, MeetingEndedEvent>();
  private readonly publisher: EventPublisher;
  private readonly partialsSent = new Set<string>();
  private readonly finalsSent = new Set<string>();
  private subscription: Subscription | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {
    this.publisher = new EventPublisher(bus);
  }

  async start(): Promise<void> {
    const router = new EventRouter(this.logger)
      .on(Events.AudioFrameReceived, async (frame) => {
        this.frames.push(frame);
        const id = `${frame.meetingId}:${frame.trackId}:1`;
        if (!this.partialsSent.has(id)) {
          this.partialsSent.add(id);
          await this.publishSegment(frame.tenantId, frame.meetingId, frame.trackId, frame.speakerLabel, false);
        }
        await this.maybeFinish(frame.meetingId);
      })
      .on(Events.MeetingStarted, async (started) => {
        this.started.add(started.meetingId);
      })
      .on(Events.MeetingEnded, async (ended) => {
        this.ended.set(ended.meetingId, ended);
        await this.maybeFinish(ended.meetingId);
      });
    this.subscription = await this.bus.subscribe({
      groupId: 'fake-transcription',
      topics: [Topics.audio, Topics.meeting],
      handler: router.handler,
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  /** Finals once MeetingEnded arrived and every track's last frame was seen (topics are not ordered with each other). */
  private async maybeFinish(meetingId: string): Promise<void> {
    const ended = this.ended.get(meetingId);
    if (!ended) return;
    for (const [trackId, last] of Object.entries(ended.lastSequenceByTrack)) {
      const id = `${meetingId}:${trackId}:1`;
      const seen = this.frames.find((f) => f.meetingId === meetingId && f.trackId === trackId && f.sequence === last);
      if (!seen || this.finalsSent.has(id)) continue;
      this.finalsSent.add(id);
      await this.publishSegment(ended.tenantId, meetingId, trackId, seen.speakerLabel, true);
    }
  }

  private publishSegment(tenantId: string, meetingId: string, trackId: string, speakerLabel: string, isFinal: boolean): Promise<void> {
    const segment: TranscriptSegment = {
      segmentId: `${meetingId}:${trackId}:1`,
      meetingId,
      tenantId,
      trackId,
      speakerLabel,
      text: isFinal ? 'we agreed on the pricing' : 'we agreed',
      startMs: 0,
      endMs: 60,
      isFinal,
      confidence: isFinal ? 0.9 : 0,
      sequence: 1,
    };
    return this.publisher.publish(Topics.transcript, Events.SegmentTranscribed, { segment }, { tenantId, meetingId });
  }
}

/** A client stream that records responses and its final status. */
class StreamClient {
  readonly responses: StreamMeetingResponse[] = [];
  readonly status: Promise<grpc.StatusObject>;
  private readonly waiters: Array<() => void> = [];
  private finalStatus: grpc.StatusObject | undefined;

  constructor(readonly call: Call) {
    call.on('data', (response: StreamMeetingResponse) => {
      this.responses.push(response);
      this.notify();
    });
    call.on('error', () => undefined); // the status carries it
    this.status = new Promise((resolve) => {
      call.on('status', (status: grpc.StatusObject) => {
        this.finalStatus = status;
        this.notify();
        resolve(status);
      });
    });
  }

  send(request: StreamMeetingRequest): void {
    this.call.write(request);
  }

  /** Resolves with the first response matching; rejects if the stream ends first. */
  until(predicate: (r: StreamMeetingResponse) => boolean, what: string): Promise<StreamMeetingResponse> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.responses.find(predicate);
        if (found) {
          resolve(found);
          return true;
        }
        if (this.finalStatus) {
          reject(new Error(`stream ended (${this.finalStatus.code} ${this.finalStatus.details}) before ${what}`));
          return true;
        }
        return false;
      };
      if (check()) return;
      const waiter = (): void => {
        if (check()) this.waiters.splice(this.waiters.indexOf(waiter), 1);
      };
      this.waiters.push(waiter);
    });
  }

  segments(): TranscriptSegment[] {
    return this.responses.flatMap((r) => (r.message?.$case === 'segment' ? [r.message.segment] : []));
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const TENANT = 'tenant-a';

const startMessage = (meetingId: string, overrides: Partial<StartMeeting> = {}): StreamMeetingRequest => ({
  message: {
    $case: 'start',
    start: {
      tenantId: TENANT,
      meetingId,
      title: 'Weekly sync',
      participants: [
        { id: 'alice', speakerLabel: 'Alice' },
        { id: 'bob', speakerLabel: 'Bob' },
      ],
      audioFormat: { encoding: AudioEncoding.AUDIO_ENCODING_PCM16LE, sampleRateHz: 16000, channels: 1 },
      recordingConsent: true,
      ...overrides,
    },
  },
});
const audio = (trackId: string, sequence: number, bytes = 640): StreamMeetingRequest => ({
  message: { $case: 'audio', audio: { trackId, sequence, data: Buffer.alloc(bytes, 1) } },
});
const end: StreamMeetingRequest = { message: { $case: 'end', end: {} } };
const isAccepted = (r: StreamMeetingResponse): boolean => r.message?.$case === 'accepted';

interface Harness {
  bus: InProcessEventBus;
  running: RunningServices;
  client: IngestServiceClient;
  logger: Logger;
  issuer: DevIssuer;
  /** Audited decisions (denials) as the auditor received them. */
  audited: Array<{ decision: Decision; input: DecisionInputSummary }>;
  /** Opens a stream as `token` (default: a member of TENANT); null: without authorization metadata. */
  open(token?: string | null): StreamClient;
  close(): Promise<void>;
}

/** Records audited decisions in memory (a test double of lifecycle's audit log). */
class FakeRecordingAuditor implements DecisionAuditor {
  constructor(private readonly into: Array<{ decision: Decision; input: DecisionInputSummary }>) {}
  async record(decision: Decision, input: DecisionInputSummary): Promise<void> {
    this.into.push({ decision, input });
  }
}

async function startIngest(completionTimeoutMs: number, instanceId: string): Promise<Harness> {
  const logger = createLogger({ service: 'ingest-test', level: 'silent' });
  const bus = new InProcessEventBus({ logger });
  // Access as in production: a real OIDC issuer (loopback), its JWKS over HTTP, the compiled policy.
  const issuer = await DevIssuer.start();
  const evaluator = await PolicyEvaluator.load({ logger, watch: false });
  const audited: Harness['audited'] = [];
  const module = createIngestModule({
    logger,
    bus,
    config: { INGEST_COMPLETION_TIMEOUT: completionTimeoutMs, INGEST_MAX_PENDING_RESPONSES: 1000, INGEST_INSTANCE_ID: instanceId },
    access: new PolicyStreamAccess({
      authenticator: new OidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl }),
      evaluator,
      auditor: new FakeRecordingAuditor(audited),
    }),
  });
  const server = new GrpcServer({ address: '127.0.0.1:0', logger, reflection: false });
  const running = await runServiceModules({ modules: [module], server, logger, graceMs: 0 });
  const client = createGrpcClient(IngestServiceClient, `127.0.0.1:${running.port}`);
  const member = await issuer.mint({ sub: 'member-1', tenant: TENANT, roles: ['member'], expiresInSec: 600 });
  return {
    bus,
    running,
    client,
    logger,
    issuer,
    audited,
    open: (token: string | null = member) => {
      const metadata = new grpc.Metadata();
      if (token !== null) metadata.set('authorization', `Bearer ${token}`);
      return new StreamClient(client.streamMeeting(metadata));
    },
    close: async () => {
      client.close();
      await running.stop();
      await bus.close();
      evaluator.close();
      await issuer.stop();
    },
  };
}

async function expectStatus(stream: StreamClient, code: grpc.status, details: string | RegExp): Promise<void> {
  const status = await stream.status;
  expect({ code: grpc.status[status.code], details: status.details }).toEqual({
    code: grpc.status[code],
    details: typeof details === 'string' ? details : expect.stringMatching(details),
  });
}

describe('IngestService.StreamMeeting over gRPC', () => {
  let h: Harness;
  let transcriber: FakeTranscriber;

  beforeAll(async () => {
    h = await startIngest(120_000, 'test-1');
    transcriber = new FakeTranscriber(h.bus, h.logger);
    await transcriber.start();
  });

  afterAll(async () => {
    await transcriber.stop();
    await h.close();
  });

  it('rejects bad streams with clear statuses while a concurrent well-behaved stream runs to completion', async () => {
    const good = h.open();
    good.send(startMessage('good-meeting'));
    await good.until(isAccepted, 'accepted');
    good.send(audio('alice', 1));
    // A partial is relayed during the meeting, not only after end.
    await good.until((r) => r.message?.$case === 'segment' && r.message.segment.trackId === 'alice', 'a partial for alice');

    const bad = {
      noStart: h.open(),
      format: h.open(),
      oversized: h.open(),
      outOfOrder: h.open(),
      duplicate: h.open(),
      secondStart: h.open(),
      noConsent: h.open(),
      sameMeeting: h.open(),
      audioAfterEnd: h.open(),
    };
    bad.noStart.send(audio('alice', 1));
    bad.format.send(startMessage('m-format', { audioFormat: { encoding: AudioEncoding.AUDIO_ENCODING_PCM16LE, sampleRateHz: 48000, channels: 2 } }));
    bad.oversized.send(startMessage('m-oversized'));
    bad.oversized.send(audio('alice', 1, 8000));
    bad.outOfOrder.send(startMessage('m-order'));
    bad.outOfOrder.send(audio('bob', 5));
    bad.outOfOrder.send(audio('bob', 4));
    bad.duplicate.send(startMessage('m-duplicate'));
    bad.duplicate.send(audio('bob', 5));
    bad.duplicate.send(audio('bob', 5));
    bad.secondStart.send(startMessage('m-second'));
    bad.secondStart.send(startMessage('m-second'));
    bad.noConsent.send(startMessage('m-consent', { recordingConsent: false }));
    bad.sameMeeting.send(startMessage('good-meeting'));
    bad.audioAfterEnd.send(startMessage('m-after-end'));
    bad.audioAfterEnd.send(end);
    bad.audioAfterEnd.send(audio('alice', 1));

    await Promise.all([
      expectStatus(bad.noStart, grpc.status.FAILED_PRECONDITION, 'the first message must be a start message'),
      expectStatus(
        bad.format,
        grpc.status.INVALID_ARGUMENT,
        'unsupported audio format: received PCM16LE 48000 Hz 2 channel(s); supported: PCM16LE 16000 Hz 1 channel',
      ),
      expectStatus(
        bad.oversized,
        grpc.status.INVALID_ARGUMENT,
        'audio frame on track alice is 8000 bytes; frames must be 640-6400 bytes (20-200 ms of PCM16LE 16000 Hz mono)',
      ),
      expectStatus(bad.outOfOrder, grpc.status.INVALID_ARGUMENT, 'out-of-order sequence 4 on track bob (last was 5)'),
      expectStatus(bad.duplicate, grpc.status.INVALID_ARGUMENT, 'duplicate sequence 5 on track bob'),
      expectStatus(bad.secondStart, grpc.status.FAILED_PRECONDITION, /already started/),
      expectStatus(bad.noConsent, grpc.status.FAILED_PRECONDITION, 'recording consent is required'),
      expectStatus(bad.sameMeeting, grpc.status.ALREADY_EXISTS, 'meeting good-meeting already has an active stream on this ingest instance'),
      expectStatus(bad.audioAfterEnd, grpc.status.FAILED_PRECONDITION, 'audio received after the end message'),
    ]);

    // The well-behaved stream was not affected: more audio, end, finals, alert, report, completed.
    good.send(audio('alice', 2));
    good.send(audio('bob', 1, 3200));
    good.send(audio('alice', 3));
    good.send(end);
    const isFinalOn = (track: string) => (r: StreamMeetingResponse) =>
      r.message?.$case === 'segment' && r.message.segment.isFinal && r.message.segment.trackId === track;
    await good.until(isFinalOn('alice'), 'the final for alice');
    await good.until(isFinalOn('bob'), 'the final for bob');

    // Insights' part, faked: an alert, then the report.
    const insights = new EventPublisher(h.bus);
    const meta = { tenantId: TENANT, meetingId: 'good-meeting' };
    const alert = {
      alertId: 'good-meeting:alice:1:phrase.pricing-commitment',
      meetingId: 'good-meeting',
      tenantId: TENANT,
      ruleId: 'phrase.pricing-commitment',
      severity: 2,
      message: 'A pricing commitment was made',
      segmentId: 'good-meeting:alice:1',
      speakerLabel: 'Alice',
      startMs: 0,
    };
    await insights.publish(Topics.insight, Events.AlertRaised, { alert }, meta);
    await insights.publish(Topics.insight, Events.AlertRaised, { alert }, meta); // a redelivery: relayed once
    const report = {
      meetingId: 'good-meeting',
      tenantId: TENANT,
      summary: 'Pricing was agreed.',
      actionItems: [{ text: 'Send the offer', owner: 'Alice', segmentId: 'good-meeting:alice:1' }],
      decisions: [],
      engine: 'extractive-v1',
      generatedAtUnixMs: 1_700_000_000_000,
    };
    await insights.publish(Topics.insight, Events.ReportGenerated, { report }, meta);

    const status = await good.status;
    expect({ code: grpc.status[status.code], details: status.details }).toEqual({ code: 'OK', details: 'OK' });
    const kinds = good.responses.map((r) => r.message?.$case);
    expect(kinds[0]).toBe('accepted');
    expect(kinds.slice(-3)).toEqual(['alert', 'report', 'completed']);
    expect(kinds.filter((k) => k === 'alert')).toHaveLength(1);
    expect(good.responses.at(-2)?.message).toEqual({ $case: 'report', report });
    expect(good.responses.at(-1)?.message).toEqual({
      $case: 'completed',
      completed: { meetingId: 'good-meeting', finalSegmentCount: 2, alertCount: 1 },
    });
    expect(good.segments().map((s) => [s.segmentId, s.isFinal])).toEqual(
      expect.arrayContaining([
        ['good-meeting:alice:1', false],
        ['good-meeting:bob:1', false],
        ['good-meeting:alice:1', true],
        ['good-meeting:bob:1', true],
      ]),
    );
    // Nothing of another meeting reached this stream.
    expect(good.segments().every((s) => s.meetingId === 'good-meeting')).toBe(true);

    // What ingest published: audio with per-track offsets, and the end with the last sequences.
    const frames = transcriber.frames.filter((f) => f.meetingId === 'good-meeting').map((f) => [f.trackId, f.sequence, f.offsetMs, f.speakerLabel]);
    expect(frames).toEqual(
      expect.arrayContaining([
        ['alice', 1, 0, 'Alice'],
        ['alice', 2, 20, 'Alice'],
        ['alice', 3, 40, 'Alice'],
        ['bob', 1, 0, 'Bob'],
      ]),
    );
    expect(frames).toHaveLength(4);
    expect(transcriber.ended.get('good-meeting')?.lastSequenceByTrack).toEqual({ alice: 3, bob: 1 });
  });

  it('decides meeting:stream at the start message: refused callers publish nothing', async () => {
    const mint = (claims: Parameters<DevIssuer['mint']>[0]): Promise<string> => h.issuer.mint({ expiresInSec: 600, ...claims });
    const refused = {
      noToken: h.open(null),
      garbage: h.open('not.a.jwt'),
      expired: h.open(await mint({ sub: 'member-1', tenant: TENANT, roles: ['member'], expiresInSec: -60 })),
      otherTenant: h.open(await mint({ sub: 'admin-x', tenant: 'tenant-b', roles: ['admin'], mfa: true })),
      auditor: h.open(await mint({ sub: 'auditor-1', tenant: TENANT, roles: ['auditor'], mfa: true })),
      staff: h.open(await mint({ sub: 'staff-1', staff: true, mfa: true })),
    };
    for (const [name, stream] of Object.entries(refused)) stream.send(startMessage(`m-refused-${name}`));
    await Promise.all([
      expectStatus(refused.noToken, grpc.status.UNAUTHENTICATED, 'a bearer token is required'),
      expectStatus(refused.garbage, grpc.status.UNAUTHENTICATED, 'the bearer token is invalid or expired'),
      expectStatus(refused.expired, grpc.status.UNAUTHENTICATED, 'the bearer token is invalid or expired'),
      expectStatus(refused.otherTenant, grpc.status.PERMISSION_DENIED, 'the call is not permitted'),
      expectStatus(refused.auditor, grpc.status.PERMISSION_DENIED, 'the call is not permitted'),
      expectStatus(refused.staff, grpc.status.PERMISSION_DENIED, 'the call is not permitted'),
    ]);
    // The admin of the tenant may stream (as may members and owners).
    const admin = h.open(await mint({ sub: 'admin-1', tenant: TENANT, roles: ['admin'] }));
    admin.send(startMessage('m-admin'));
    await admin.until(isAccepted, 'accepted');
    admin.call.cancel();
    await admin.status;

    // Nothing about a refused meeting reached the bus; every denial went to the auditor.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([...transcriber.started].filter((id) => id.startsWith('m-refused-'))).toEqual([]);
    expect(transcriber.started.has('m-admin')).toBe(true);
    const denials = h.audited.filter((a) => a.input.action === 'meeting:stream' && !a.decision.allow);
    expect(denials.map((a) => a.input.subjectId).sort()).toEqual(['admin-x', 'auditor-1', 'staff-1']);
    expect(denials.every((a) => a.input.resourceMeeting.startsWith('m-refused-'))).toBe(true);
  });

  it('frees the meeting when the client cancels, so it can stream again', async () => {
    const first = h.open();
    first.send(startMessage('m-cancel'));
    await first.until(isAccepted, 'accepted');
    first.call.cancel();
    await expectStatus(first, grpc.status.CANCELLED, /cancel/i);

    // The server sees the cancellation asynchronously: retry while the old stream is still registered.
    let again: StreamClient | undefined;
    for (let attempt = 0; attempt < 50 && !again; attempt += 1) {
      const candidate = h.open();
      candidate.send(startMessage('m-cancel'));
      const outcome = await Promise.race([
        candidate.until(isAccepted, 'accepted').then(() => 'accepted' as const),
        candidate.status.then((s) => s.code),
      ]);
      if (outcome === 'accepted') again = candidate;
      else expect(outcome).toBe(grpc.status.ALREADY_EXISTS);
    }
    expect(again).toBeDefined();
    again?.call.cancel();
    await again?.status;
  });

  it('ends a stream closed without an end message with FAILED_PRECONDITION', async () => {
    const stream = h.open();
    stream.send(startMessage('m-no-end'));
    await stream.until(isAccepted, 'accepted');
    stream.call.end();
    await expectStatus(stream, grpc.status.FAILED_PRECONDITION, 'the stream was closed without an end message');
  });
});

describe('IngestService.StreamMeeting completion timeout', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startIngest(50, 'test-2');
  });

  afterAll(async () => {
    await h.close();
  });

  it('ends the stream with DEADLINE_EXCEEDED when no report arrives after end', async () => {
    const stream = h.open();
    stream.send(startMessage('m-late'));
    await stream.until(isAccepted, 'accepted');
    stream.send(audio('alice', 1));
    stream.send(end);
    await expectStatus(stream, grpc.status.DEADLINE_EXCEEDED, 'no report for meeting m-late within 50 ms after the end message');
  });
});
