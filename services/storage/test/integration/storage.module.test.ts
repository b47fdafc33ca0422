import {
  StorageServiceClient,
  MeetingStatus,
  type GetMeetingResponse,
  type GetReportResponse,
  type GetTranscriptResponse,
  type ListAlertsResponse,
  type ListMeetingsResponse,
  type PurgeMeetingResponse,
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
  generateServiceTrust,
  runServiceModules,
  subjectAssertionMetadata,
  type RunningServices,
  type ServiceTrust,
} from '@confide/platform';
import { createStorageModule } from '../../src';
import { DB_START_TIMEOUT_MS, startTestDatabase, type TestDatabase } from './support/embedded-db';
import { alert, report, segment } from './support/records';

const TENANT = 'tenant-a';
const logger = createLogger({ service: 'storage-it', level: 'silent' });

let db: TestDatabase;
let bus: InProcessEventBus;
let running: RunningServices;
let client: StorageServiceClient;
let events: EventPublisher;
let evaluator: PolicyEvaluator;
let trust: ServiceTrust;

beforeAll(async () => {
  db = await startTestDatabase();
  bus = new InProcessEventBus({ logger });
  evaluator = await PolicyEvaluator.load({ logger, watch: false });
  trust = await generateServiceTrust(['gateway', 'lifecycle']);
  const module = createStorageModule({
    authorization: { evaluator, verifier: trust.verifier, auditor: { record: async () => undefined } },
    logger,
    bus,
    databaseUrl: db.pg.url,
    migrationDatabaseUrl: db.pg.migrationUrl,
    poolSize: 4,
    consumer: { retryBackoffMs: 10 },
  });
  running = await runServiceModules({ modules: [module], server: new GrpcServer({ address: '127.0.0.1:0', logger }), logger });
  client = createGrpcClient(StorageServiceClient, `127.0.0.1:${running.port}`);
  events = new EventPublisher(bus);
}, DB_START_TIMEOUT_MS);

afterAll(async () => {
  client?.close();
  await running?.stop();
  await bus?.close();
  await db?.dispose();
  evaluator?.close();
}, DB_START_TIMEOUT_MS);

/**
 * Calls as the services do: reads by the gateway on behalf of an admin of the tenant the request
 * names (so that tenant isolation below is storage's own: filters and row-level security), purges
 * by lifecycle under its service identity.
 */
async function call<Res>(method: string, req: { tenantId: string } & Record<string, unknown>): Promise<Res> {
  const assertion =
    method === 'purgeMeeting'
      ? await trust.signer('lifecycle').sign()
      : await trust.signer('gateway').sign({ id: 'admin-1', tenant: req.tenantId, roles: ['admin'], kind: 'user', mfa: true });
  return callUnary<object, Res>(client, method, req, { metadata: subjectAssertionMetadata(assertion) });
}

/** Retries `probe` until it stops throwing: the consumer applies events asynchronously. */
async function eventually<T>(probe: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await probe();
    } catch (err) {
      if (attempt >= 200) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function expectCode(promise: Promise<unknown>, code: grpc.status): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

describe('StorageService over events', () => {
  const meetingId = 'meeting-1';
  const meta = { tenantId: TENANT, meetingId };

  beforeAll(async () => {
    await events.publish(Topics.meeting, Events.MeetingStarted, {
      meetingId,
      tenantId: TENANT,
      title: 'Quarterly review',
      participants: [{ id: 'p1', speakerLabel: 'Alice' }],
      audioFormat: undefined,
      recordingConsent: true,
      startedAtUnixMs: 1_700_000_000_000,
    }, meta);
    const s2 = segment({ ...meta, sequence: 2 });
    const s1 = segment({ ...meta, sequence: 1 });
    await events.publish(Topics.transcript, Events.SegmentTranscribed, { segment: { ...s2, isFinal: false, text: 'partial' } }, meta);
    await events.publish(Topics.transcript, Events.SegmentTranscribed, { segment: s2 }, meta);
    await events.publish(Topics.transcript, Events.SegmentTranscribed, { segment: s1 }, meta);
    // Redelivery of the same final: must not duplicate.
    await events.publish(Topics.transcript, Events.SegmentTranscribed, { segment: s1 }, meta);
    await events.publish(Topics.transcript, Events.TranscriptionCompleted, {
      meetingId,
      tenantId: TENANT,
      finalSegmentCount: 2,
      completedAtUnixMs: 1_700_000_100_000,
    }, meta);
    await events.publish(Topics.insight, Events.AlertRaised, { alert: alert({ ...meta, segmentId: s1.segmentId }) }, meta);
    await events.publish(Topics.insight, Events.ReportGenerated, { report: report(meta) }, meta);
    await events.publish(Topics.meeting, Events.MeetingEnded, {
      meetingId,
      tenantId: TENANT,
      endedAtUnixMs: 1_700_000_090_000,
      lastSequenceByTrack: { p1: 10 },
    }, meta);
  });

  it('serves the stored meeting, transcript, alerts and report', async () => {
    const { report: stored } = await eventually(() => call<GetReportResponse>('getReport', meta));
    expect(stored).toEqual(report(meta));
    const { meeting } = await eventually(async () => {
      const res = await call<GetMeetingResponse>('getMeeting', meta);
      if (res.meeting?.status !== MeetingStatus.MEETING_STATUS_TRANSCRIBED) throw new Error('not transcribed yet');
      return res;
    });
    expect(meeting).toMatchObject({ title: 'Quarterly review', segmentCount: 2, endedAtUnixMs: 1_700_000_090_000 });
    const transcript = await call<GetTranscriptResponse>('getTranscript', meta);
    expect(transcript.meetingId).toBe(meetingId);
    expect(transcript.segments.map((s) => [s.segmentId, s.text, s.isFinal])).toEqual([
      ['meeting-1:p1:1', 'utterance 1', true],
      ['meeting-1:p1:2', 'utterance 2', true],
    ]);
    const { alerts } = await eventually(async () => {
      const res = await call<ListAlertsResponse>('listAlerts', meta);
      if (res.alerts.length === 0) throw new Error('no alert yet');
      return res;
    });
    expect(alerts).toEqual([alert({ ...meta, segmentId: 'meeting-1:p1:1' })]);
    const list = await call<ListMeetingsResponse>('listMeetings', { tenantId: TENANT, pageSize: 10, pageToken: '' });
    expect(list.meetings.map((m) => m.meetingId)).toEqual([meetingId]);
    expect(list.nextPageToken).toBe('');
  });

  it('answers NOT_FOUND to another tenant and INVALID_ARGUMENT to bad requests', async () => {
    await eventually(() => call<GetMeetingResponse>('getMeeting', meta));
    await expectCode(call('getMeeting', { tenantId: 'tenant-b', meetingId }), grpc.status.NOT_FOUND);
    await expectCode(call('getTranscript', { tenantId: 'tenant-b', meetingId }), grpc.status.NOT_FOUND);
    await expectCode(call('getReport', { tenantId: 'tenant-b', meetingId }), grpc.status.NOT_FOUND);
    await expectCode(call('getMeeting', { tenantId: '', meetingId }), grpc.status.PERMISSION_DENIED); // the policy refuses before validation
    await expectCode(call('listMeetings', { tenantId: TENANT, pageSize: 10, pageToken: 'not a token!' }), grpc.status.INVALID_ARGUMENT);
  });
});

describe('PurgeMeeting', () => {
  const meetingId = 'meeting-erase';
  const meta = { tenantId: TENANT, meetingId };

  it('deletes everything, returns counts, is idempotent and ignores late events', async () => {
    await events.publish(Topics.transcript, Events.SegmentTranscribed, { segment: segment({ ...meta, sequence: 1 }) }, meta);
    await events.publish(Topics.insight, Events.ReportGenerated, { report: report(meta) }, meta);
    await eventually(() => call<GetReportResponse>('getReport', meta));
    await eventually(async () => {
      const res = await call<GetTranscriptResponse>('getTranscript', meta);
      if (res.segments.length !== 1) throw new Error('segment not stored yet');
    });

    const purged = await call<PurgeMeetingResponse>('purgeMeeting', meta);
    expect(purged).toEqual({ meetingsDeleted: 1, segmentsDeleted: 1, alertsDeleted: 0, reportsDeleted: 1 });
    expect(await call<PurgeMeetingResponse>('purgeMeeting', meta)).toEqual({
      meetingsDeleted: 0,
      segmentsDeleted: 0,
      alertsDeleted: 0,
      reportsDeleted: 0,
    });

    // A late final of the erased meeting, then (same key, so delivered after it) a marker of another meeting.
    await events.publish(Topics.transcript, Events.SegmentTranscribed, { segment: segment({ ...meta, sequence: 2 }) }, meta);
    const marker = { tenantId: TENANT, meetingId: 'meeting-marker' };
    await events.publish(Topics.transcript, Events.SegmentTranscribed, { segment: segment({ ...marker, sequence: 1 }) }, {
      ...marker,
      key: meetingId,
    });
    await eventually(() => call<GetTranscriptResponse>('getTranscript', marker));
    await expectCode(call('getTranscript', meta), grpc.status.NOT_FOUND);
    await expectCode(call('getMeeting', meta), grpc.status.NOT_FOUND);
    await expectCode(call('getReport', meta), grpc.status.NOT_FOUND);
  });
});
