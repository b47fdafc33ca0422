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
  Topics,
  callUnary,
  createGrpcClient,
  createLogger,
  decodeEvent,
  runServiceModules,
  type ReceivedMessage,
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
    const module = createLifecycleModule({ logger, bus, storage: store, ended, clock: { now: () => NOW } });
    running = await runServiceModules({ modules: [module], server: new GrpcServer({ address: '127.0.0.1:0', logger }), logger });
    client = createGrpcClient(LifecycleServiceClient, `127.0.0.1:${running.port}`);
  });

  afterAll(async () => {
    client.close();
    await running.stop();
    await bus.close();
  });

  it('DeleteMeeting purges through the store, publishes MeetingErased and returns counts', async () => {
    const res = await callUnary<DeleteMeetingRequest, DeleteMeetingResponse>(client, 'deleteMeeting', {
      tenantId: 't1',
      meetingId: 'm1',
      requestedBy: 'user-1',
      reason: '',
    });
    expect(res).toEqual({ meetingId: 'm1', erased: { meetings: 1, segments: 3, alerts: 1, reports: 1 }, erasedAtUnixMs: NOW });
    await erasedArrived;
    const [message] = erased;
    const { envelope, typeName } = decodeEvent(message as ReceivedMessage);
    expect(typeName).toBe(Events.MeetingErased.typeName);
    expect(message?.key).toBe('m1');
    expect(MeetingErasedEvent.decode(envelope.payload)).toEqual({ meetingId: 'm1', tenantId: 't1', requestedBy: 'user-1', erasedAtUnixMs: NOW });
  });

  it('maps not-found and invalid requests to gRPC status codes', async () => {
    await expect(
      callUnary(client, 'deleteMeeting', { tenantId: 't1', meetingId: 'unknown', requestedBy: 'u', reason: '' }),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(callUnary(client, 'deleteMeeting', { tenantId: '', meetingId: 'm', requestedBy: 'u', reason: '' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
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
