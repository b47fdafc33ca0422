import {
  LifecycleServiceClient,
  MeetingErasedEvent,
  type DeleteMeetingRequest,
  type DeleteMeetingResponse,
} from '@confide/contracts';
import * as grpc from '@grpc/grpc-js';
import {
  EventPublisher,
  Events,
  GrpcServer,
  InProcessEventBus,
  PolicyEvaluator,
  Topics,
  callUnary,
  createGrpcClient,
  createLogger,
  decodeEvent,
  generateServiceTrust,
  runServiceModules,
  subjectAssertionMetadata,
  type ReceivedMessage,
  type ServiceTrust,
  type RunningServices,
} from '@confide/platform';
import { InMemoryEndedMeetings, createLifecycleModule } from '../../src';
import { FakeMeetingStore } from './support/fakes';

const logger = createLogger({ service: 'lifecycle-test', level: 'silent' });
const NOW = 1_700_000_500_000;

describe('lifecycle module', () => {
  let bus: InProcessEventBus;
  let running: RunningServices;
  let client: LifecycleServiceClient;
  const store = new FakeMeetingStore().add({ tenantId: 't1', meetingId: 'm1' }, { segments: 3, alerts: 1, reports: 1 });
  const ended = new InMemoryEndedMeetings();
  const erased: ReceivedMessage[] = [];
  let erasedArrived: Promise<void>;
  let evaluator: PolicyEvaluator;
  let trust: ServiceTrust;
  /** Metadata of a call by the gateway on behalf of an admin of t1 who used MFA. */
  const asAdmin = async (): Promise<{ metadata: grpc.Metadata }> => ({
    metadata: subjectAssertionMetadata(await trust.signer('gateway').sign({ id: 'user-1', tenant: 't1', roles: ['admin'], kind: 'user', mfa: true })),
  });

  beforeAll(async () => {
    bus = new InProcessEventBus({ logger });
    let signal!: () => void;
    erasedArrived = new Promise((resolve) => (signal = resolve));
    await bus.subscribe({
      groupId: 'test-observer',
      topics: [Topics.lifecycle],
      handler: async (message) => {
        erased.push(message);
        signal();
      },
    });
    evaluator = await PolicyEvaluator.load({ logger, watch: false });
    trust = await generateServiceTrust(['gateway']);
    const authorization = { evaluator, verifier: trust.verifier, auditor: { record: async () => undefined }, clock: { now: () => NOW } };
    const module = createLifecycleModule({ logger, bus, storage: store, ended, clock: { now: () => NOW }, authorization });
    running = await runServiceModules({ modules: [module], server: new GrpcServer({ address: '127.0.0.1:0', logger }), logger });
    client = createGrpcClient(LifecycleServiceClient, `127.0.0.1:${running.port}`);
  });

  afterAll(async () => {
    client.close();
    await running.stop();
    await bus.close();
    evaluator.close();
  });

  it('DeleteMeeting purges through the store, publishes MeetingErased and returns counts', async () => {
    const res = await callUnary<DeleteMeetingRequest, DeleteMeetingResponse>(client, 'deleteMeeting', {
      tenantId: 't1',
      meetingId: 'm1',
      requestedBy: 'user-1',
      reason: '',
    }, await asAdmin());
    expect(res).toEqual({ meetingId: 'm1', erased: { meetings: 1, segments: 3, alerts: 1, reports: 1 }, erasedAtUnixMs: NOW });
    await erasedArrived;
    const [message] = erased;
    const { envelope, typeName } = decodeEvent(message as ReceivedMessage);
    expect(typeName).toBe(Events.MeetingErased.typeName);
    expect(message?.key).toBe('m1');
    expect(MeetingErasedEvent.decode(envelope.payload)).toEqual({ meetingId: 'm1', tenantId: 't1', requestedBy: 'user-1', erasedAtUnixMs: NOW });
  });

  it('maps not-found, unauthenticated and foreign-tenant requests to gRPC status codes', async () => {
    await expect(
      callUnary(client, 'deleteMeeting', { tenantId: 't1', meetingId: 'unknown', requestedBy: 'u', reason: '' }, await asAdmin()),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    // Authorization runs first: a request naming no tenant (or another one) is not permitted.
    await expect(callUnary(client, 'deleteMeeting', { tenantId: '', meetingId: 'm', requestedBy: 'u', reason: '' }, await asAdmin())).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    await expect(callUnary(client, 'deleteMeeting', { tenantId: 't2', meetingId: 'm1', requestedBy: 'u', reason: '' }, await asAdmin())).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    await expect(callUnary(client, 'deleteMeeting', { tenantId: 't1', meetingId: 'm1', requestedBy: 'u', reason: '' })).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
  });

  it('without persistence serves LifecycleService only and offers no grant store or decision auditor', () => {
    const bare = createLifecycleModule({ logger, bus, storage: new FakeMeetingStore() });
    expect(bare.grpcServices.map((s) => s.name)).toEqual(['confide.lifecycle.v1.LifecycleService']);
    expect(bare.grants).toBeUndefined();
    expect(bare.decisionAuditor).toBeUndefined();
  });

  it('with persistence also registers AccessGrantService, AuditService and CertificateService (built, not connected)', () => {
    const kms = { createKey: async () => undefined, sign: async () => ({ signature: '', keyVersion: 1 }), publicKeys: async () => [] };
    const persistent = createLifecycleModule({ logger, bus, storage: new FakeMeetingStore(), persistence: { databaseUrl: 'postgres://app@127.0.0.1:1/none', kms } });
    expect(persistent.grpcServices.map((s) => s.name)).toEqual([
      'confide.lifecycle.v1.LifecycleService',
      'confide.lifecycle.v1.AccessGrantService',
      'confide.lifecycle.v1.AuditService',
      'confide.lifecycle.v1.CertificateService',
    ]);
    expect(persistent.grants).toBeDefined();
    expect(persistent.decisionAuditor).toBeDefined();
  });

  it('remembers ended meetings from confide.meeting.v1', async () => {
    const recorded = new Promise<void>((resolve) => {
      const original = ended.recordEnded.bind(ended);
      ended.recordEnded = async (m) => {
        await original(m);
        resolve();
      };
    });
    await new EventPublisher(bus).publish(
      Topics.meeting,
      Events.MeetingEnded,
      { meetingId: 'm2', tenantId: 't1', endedAtUnixMs: NOW - 10, lastSequenceByTrack: {} },
      { tenantId: 't1', meetingId: 'm2' },
    );
    await recorded;
    expect(await ended.endedBefore(NOW, 10)).toEqual([{ tenantId: 't1', meetingId: 'm2', endedAtMs: NOW - 10 }]);
  });
});
