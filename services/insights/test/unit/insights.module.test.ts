import {
  AlertSeverity,
  InsightsServiceClient,
  type ListAlertRulesRequest,
  type ListAlertRulesResponse,
  type TranscriptSegment,
} from '@confide/contracts';
import {
  LoggingDecisionAuditor,
  PolicyEvaluator,
  generateServiceTrust,
  subjectAssertionMetadata,
  type RpcAuthorizationDeps,
  type ServiceTrust,
  type Subject,
  EventPublisher,
  Events,
  GrpcServer,
  InProcessEventBus,
  Topics,
  callUnary,
  createGrpcClient,
  type ServiceModule,
} from '@confide/platform';
import * as grpc from '@grpc/grpc-js';
import { createInsightsModule } from '../../src';
import { DEFAULT_ALERT_RULES } from '../../src/domain/alert-rule';
import { fixedClock, silentLogger } from './support/fakes';
import { InsightObserver } from './support/insight-observer';
import { aSegment } from './support/segment.builder';

const tenantId = 'tenant-1';
const meetingId = 'meeting-42';

describe('insights module over the in-process event bus', () => {
  const logger = silentLogger();
  // Authorization as in production: signed subject assertions, the compiled policy.
  let trust: ServiceTrust;
  let evaluator: PolicyEvaluator;
  let authorization: RpcAuthorizationDeps;
  let bus: InProcessEventBus;
  let module: ServiceModule;
  let observer: InsightObserver;
  let publisher: EventPublisher;

  const publishSegment = (segment: TranscriptSegment) =>
    publisher.publish(Topics.transcript, Events.SegmentTranscribed, { segment }, { tenantId, meetingId });
  const publishCompleted = (finalSegmentCount: number) =>
    publisher.publish(
      Topics.transcript,
      Events.TranscriptionCompleted,
      { meetingId, tenantId, finalSegmentCount, completedAtUnixMs: 1_700_000_000_000 },
      { tenantId, meetingId },
    );

  beforeAll(async () => {
    trust = await generateServiceTrust(['gateway', 'ingest']);
    evaluator = await PolicyEvaluator.load({ logger, watch: false });
    authorization = { evaluator, verifier: trust.verifier, auditor: new LoggingDecisionAuditor(logger) };
  });

  afterAll(() => evaluator.close());

  beforeEach(async () => {
    bus = new InProcessEventBus({ logger });
    module = createInsightsModule({ logger, bus, authorization, clock: fixedClock(1_700_000_000_500) });
    observer = new InsightObserver();
    await observer.start(bus, logger);
    await module.start();
    publisher = new EventPublisher(bus);
  });

  afterEach(async () => {
    await module.stop();
    await observer.stop();
    await bus.close();
  });

  it('raises an alert event for a final segment', async () => {
    const segment = aSegment({ meetingId, tenantId, segmentId: `${meetingId}:alice:1`, text: 'Keep this off the record.' });
    await publishSegment(segment);
    await observer.until((o) => o.alerts.length >= 1);
    expect(observer.alerts).toEqual([
      {
        alertId: `${meetingId}:alice:1:phrase.legal-risk`,
        meetingId,
        tenantId,
        ruleId: 'phrase.legal-risk',
        severity: AlertSeverity.ALERT_SEVERITY_CRITICAL,
        message: 'Possible legal risk: request to avoid a record',
        segmentId: segment.segmentId,
        speakerLabel: 'Alice',
        startMs: segment.startMs,
      },
    ]);
  });

  it('ignores partials, collapses a redelivered final, and reports on completion', async () => {
    const id = `${meetingId}:alice:1`;
    const partial = aSegment({ meetingId, tenantId, segmentId: id, isFinal: false, text: 'off the record I will' });
    const final = aSegment({
      meetingId,
      tenantId,
      segmentId: id,
      text: "This is confidential. I'll send the pricing sheet by Friday.",
      startMs: 1000,
    });
    const decision = aSegment({
      meetingId,
      tenantId,
      segmentId: `${meetingId}:bob:1`,
      trackId: 'bob',
      speakerLabel: 'Bob',
      text: "Let's go with the annual plan.",
      startMs: 5000,
    });
    await publishSegment(partial);
    await publishSegment(final);
    await publishSegment({ ...final }); // the same final delivered again
    await publishSegment(decision);
    await publishCompleted(2);
    await observer.until((o) => o.reports.length >= 1);

    // Same key on both topics: everything before the report has been processed and observed.
    expect(observer.alerts.map((a) => a.alertId)).toEqual([`${id}:phrase.confidentiality`]);
    expect(observer.reports).toHaveLength(1);
    const [report] = observer.reports;
    expect(report).toMatchObject({ meetingId, tenantId, engine: 'extractive-v1', generatedAtUnixMs: 1_700_000_000_500 });
    expect(report?.actionItems).toEqual([
      { text: "I'll send the pricing sheet by Friday.", owner: 'Alice', segmentId: id },
    ]);
    expect(report?.decisions).toEqual([{ text: "Let's go with the annual plan.", segmentId: `${meetingId}:bob:1` }]);
    expect(report?.summary).not.toContain('off the record');
    expect(report?.summary.length).toBeGreaterThan(0);
  });

  it('reports "no speech" for a meeting that had no final segment', async () => {
    await publishCompleted(0);
    await observer.until((o) => o.reports.length >= 1);
    expect(observer.reports[0]?.summary).toBe('No speech was transcribed in this meeting.');
  });

  it('serves ListAlertRules with the rules in force and the report engine', async () => {
    const server = new GrpcServer({ address: '127.0.0.1:0', logger, reflection: false });
    for (const registration of module.grpcServices) server.add(registration);
    const { port } = await server.start();
    const client = createGrpcClient(InsightsServiceClient, `127.0.0.1:${port}`);
    const user = (tenant: string, roles: string[]): Subject => ({ id: 'u-1', tenant, roles, kind: 'user', mfa: true });
    const as = async (service: string, subject: Subject | undefined) =>
      callUnary<ListAlertRulesRequest, ListAlertRulesResponse>(client, 'listAlertRules', { tenantId }, {
        metadata: subjectAssertionMetadata(await trust.signer(service).sign(subject)),
      });
    const code = (p: Promise<unknown>) => p.then(() => 'OK', (err: grpc.ServiceError) => grpc.status[err.code]);
    try {
      const res = await as('gateway', user(tenantId, ['admin']));
      expect(res.reportEngine).toBe('extractive-v1');
      expect(res.rules.map((r) => r.ruleId)).toEqual(DEFAULT_ALERT_RULES.map((r) => r.id));
      expect(res.rules).toContainEqual({ ruleId: 'pii.credit-card', description: 'Payment card number shared', kind: 'pii' });
      // Refused: no assertion; a member; the admin of another tenant; a service the RPC is not granted to; no end user.
      expect(await code(callUnary(client, 'listAlertRules', { tenantId }))).toBe('UNAUTHENTICATED');
      expect(await code(as('gateway', user(tenantId, ['member'])))).toBe('PERMISSION_DENIED');
      expect(await code(as('gateway', user('tenant-other', ['admin'])))).toBe('PERMISSION_DENIED');
      expect(await code(as('ingest', user(tenantId, ['admin'])))).toBe('PERMISSION_DENIED');
      expect(await code(as('gateway', undefined))).toBe('PERMISSION_DENIED');
    } finally {
      client.close();
      await server.shutdown({ graceMs: 100 });
    }
  });
});
