import {
  StorageMaintenanceServiceClient,
  type ListTenantsResponse,
  type PurgeTenantResponse,
} from '@confide/contracts';
import * as grpc from '@grpc/grpc-js';
import {
  GrpcServer,
  PolicyEvaluator,
  callUnary,
  createGrpcClient,
  createLogger,
  generateServiceTrust,
  runServiceModules,
  subjectAssertionMetadata,
  type RunningServices,
  type ServiceTrust,
} from '@confide/platform';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { storageMaintenanceGrpcService } from '../../src/adapters/grpc/storage-maintenance.grpc';
import { createStorageDataSource, STORAGE_MIGRATIONS_TABLE } from '../../src/adapters/postgres/data-source';
import { PostgresMeetingMaintenanceRepository } from '../../src/adapters/postgres/meeting-maintenance.repository';
import { PostgresMeetingQueryRepository } from '../../src/adapters/postgres/meeting-query.repository';
import { PostgresMeetingRecordRepository } from '../../src/adapters/postgres/meeting-record.repository';
import { storageMigrations } from '../../src/adapters/postgres/migrations';
import { MaintainMeetings } from '../../src/use-cases/maintain-meetings.use-case';
import { DB_START_TIMEOUT_MS, startTestDatabase, type TestDatabase } from './support/embedded-db';
import { alert, report, segment } from './support/records';

const logger = createLogger({ service: 'storage-maintenance-it', level: (process.env.IT_LOG_LEVEL ?? 'silent') as 'silent' });

let db: TestDatabase;
let app: DataSource;
let records: PostgresMeetingRecordRepository;
let queries: PostgresMeetingQueryRepository;
let maintenance: PostgresMeetingMaintenanceRepository;

async function migrate(url: string, migrations: typeof storageMigrations): Promise<void> {
  const ds = new DataSource({ type: 'postgres', url, entities: [], migrations, migrationsTableName: STORAGE_MIGRATIONS_TABLE, synchronize: false, logging: false });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}

async function asOwner<T>(tenantId: string | undefined, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: db.pg.migrationUrl });
  await c.connect();
  try {
    await c.query('BEGIN');
    if (tenantId) await c.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    const rows = (await c.query(sql, params)).rows as T[];
    await c.query('COMMIT');
    return rows;
  } finally {
    await c.end();
  }
}

async function asApp<T>(tenantId: string | undefined, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: db.pg.url });
  await c.connect();
  try {
    await c.query('BEGIN');
    if (tenantId) await c.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    const rows = (await c.query(sql, params)).rows as T[];
    await c.query('COMMIT');
    return rows;
  } finally {
    await c.end();
  }
}

async function seed(tenantId: string, meetingId: string, endedAtMs: number, tracks: Record<string, number> = { p1: 2 }): Promise<void> {
  await records.recordMeetingStarted({ tenantId, meetingId, title: 't', participants: [], startedAtMs: endedAtMs - 1000 } as Parameters<typeof records.recordMeetingStarted>[0]);
  let sequence = 0;
  for (const [trackId, n] of Object.entries(tracks)) {
    for (let i = 0; i < n; i++) {
      const s = segment({ tenantId, meetingId, trackId, sequence: ++sequence });
      await records.recordFinalSegment(s, endedAtMs);
      await records.recordAlert(alert({ tenantId, meetingId, segmentId: s.segmentId, alertId: `${s.segmentId}:a` }), endedAtMs);
    }
  }
  await records.recordReport(report({ tenantId, meetingId }), endedAtMs);
  await records.recordMeetingEnded({ tenantId, meetingId }, endedAtMs, endedAtMs);
}

beforeAll(async () => {
  db = await startTestDatabase();
  // The schema before this change, with a meeting already stored: the migration backfills the tenant registry.
  await migrate(db.pg.migrationUrl, storageMigrations.slice(0, 3));
  await asOwner('pre-existing', `INSERT INTO meetings (tenant_id, meeting_id, started_at_ms) VALUES ('pre-existing', 'm0', 1)`);
  await migrate(db.pg.migrationUrl, storageMigrations);
  app = createStorageDataSource({ databaseUrl: db.pg.url, poolSize: 4 });
  await app.initialize();
  records = new PostgresMeetingRecordRepository(app);
  queries = new PostgresMeetingQueryRepository(app);
  maintenance = new PostgresMeetingMaintenanceRepository(app);
}, DB_START_TIMEOUT_MS);

afterAll(async () => {
  if (app?.isInitialized) await app.destroy();
  await db?.dispose();
}, DB_START_TIMEOUT_MS);

describe('tenant registry', () => {
  it('is backfilled by the migration and kept by every new meeting row; lists ids only, in pages', async () => {
    await seed('t-b', 'm1', 1_000);
    await seed('t-a', 'm1', 1_000);
    expect(await maintenance.listTenants('', 10)).toEqual(['pre-existing', 't-a', 't-b']);
    expect(await maintenance.listTenants('pre-existing', 1)).toEqual(['t-a']);
  });

  it('leaves every content table under RLS: without a tenant the application role sees no meeting, only tenant ids', async () => {
    expect(await asApp(undefined, 'SELECT * FROM meetings')).toEqual([]);
    expect((await asApp<{ tenant_id: string }>(undefined, 'SELECT id AS tenant_id FROM tenants ORDER BY 1')).map((r) => r.tenant_id)).toContain('t-a');
    const [rls] = await asApp<{ relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      undefined,
      `SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'erased_tenants'`,
    );
    expect(rls).toEqual({ relrowsecurity: true, relforcerowsecurity: true });
  });
});

describe('retention listings, archive and restore', () => {
  it('lists meetings ended at or before the cutoff, oldest first, per tenant only', async () => {
    await seed('t-ret', 'old', 10_000);
    await seed('t-ret', 'older', 5_000);
    await seed('t-ret', 'young', 50_000);
    await seed('t-other', 'old', 1_000);
    expect((await maintenance.listExpired('t-ret', 10_000, 10, false)).map((m) => [m.meetingId, m.endedAtMs])).toEqual([
      ['older', 5_000],
      ['old', 10_000],
    ]);
  });

  it('hides an archived meeting and its content from every normal read until restored', async () => {
    const ref = { tenantId: 't-ret', meetingId: 'old' };
    expect(await maintenance.archive(ref, 99)).toBe(true);
    expect(await maintenance.archive(ref, 100)).toBe(false);
    expect(await queries.getMeeting(ref)).toBeUndefined();
    expect(await queries.getTranscript(ref)).toBeUndefined();
    expect(await queries.listAlerts(ref)).toBeUndefined();
    expect(await queries.getReport(ref)).toBeUndefined();
    expect((await queries.listMeetings('t-ret', 10)).map((m) => m.meetingId).sort()).toEqual(['older', 'young']);
    expect((await maintenance.listExpired('t-ret', 10_000, 10, false)).map((m) => m.meetingId)).toEqual(['older']);
    expect(await maintenance.listExpired('t-ret', 10_000, 10, true)).toEqual([
      { meetingId: 'older', endedAtMs: 5_000 },
      { meetingId: 'old', endedAtMs: 10_000, archivedAtMs: 99 },
    ]);
    expect(await maintenance.restore({ tenantId: 't-other', meetingId: 'old' })).toBe(false);
    expect(await maintenance.restore(ref)).toBe(true);
    expect((await queries.getTranscript(ref))?.length).toBe(2);
    expect(await queries.getReport(ref)).toBeDefined();
  });
});

describe('audio keys due', () => {
  it('lists meetings ended before the cutoff whose audio key is still active', async () => {
    for (const [meetingId, ended] of [['a-stalled', 1_000], ['a-done', 1_000], ['a-recent', 90_000]] as const) {
      await seed('t-audio', meetingId, ended);
      await asOwner('t-audio', `INSERT INTO data_keys (tenant_id, meeting_id, purpose, key_name, wrapped, key_version) VALUES ('t-audio', $1, 'audio', 'k', 'w', 1)`, [meetingId]);
    }
    await asOwner('t-audio', `UPDATE data_keys SET wrapped = NULL, destroyed_at = now() WHERE meeting_id = 'a-done'`);
    expect(await maintenance.listAudioKeysDue('t-audio', 50_000, 10)).toEqual(['a-stalled']);
    expect(await maintenance.listAudioKeysDue('t-other', 50_000, 10)).toEqual([]);
  });
});

describe('purges', () => {
  it("purges a participant's track and the alerts on it, in every meeting of the tenant only", async () => {
    await seed('t-user', 'm1', 1_000, { alice: 2, bob: 3 });
    await seed('t-user', 'm2', 1_000, { alice: 1 });
    await seed('t-user-2', 'm1', 1_000, { alice: 4 });
    expect(await maintenance.purgeParticipant('t-user', 'alice')).toEqual({ meetingsAffected: 2, segments: 3, alerts: 3 });
    expect(await maintenance.purgeParticipant('t-user', 'alice')).toEqual({ meetingsAffected: 0, segments: 0, alerts: 0 });
    expect((await queries.getTranscript({ tenantId: 't-user', meetingId: 'm1' }))!.map((s) => s.trackId)).toEqual(['bob', 'bob', 'bob']);
    expect((await queries.getMeeting({ tenantId: 't-user', meetingId: 'm1' }))!.segmentCount).toBe(3);
    expect((await queries.getTranscript({ tenantId: 't-user-2', meetingId: 'm1' }))!).toHaveLength(4);
  });

  it('purges every row of a tenant, tombstones its data keys and meetings, is idempotent and drops late events', async () => {
    await seed('t-gone', 'm1', 1_000, { p1: 3 });
    await seed('t-gone', 'm2', 1_000, { p1: 1 });
    await asOwner('t-gone', `INSERT INTO data_keys (tenant_id, meeting_id, purpose, key_name, wrapped, key_version) VALUES ('t-gone', 'm1', 'meeting', 'k', 'w', 1)`);
    expect(await maintenance.purgeTenant('t-gone', 77)).toEqual({ meetings: 2, segments: 4, alerts: 4, reports: 2, dataKeys: 1 });
    expect(await maintenance.purgeTenant('t-gone', 78)).toEqual({ meetings: 0, segments: 0, alerts: 0, reports: 0, dataKeys: 0 });
    expect(await asOwner('t-gone', `SELECT erased_at_ms FROM erased_tenants WHERE tenant_id = 't-gone'`)).toEqual([{ erased_at_ms: '77' }]);
    expect(await asOwner('t-gone', `SELECT wrapped, destroyed_at IS NOT NULL AS tombstone FROM data_keys WHERE tenant_id = 't-gone'`)).toEqual([{ wrapped: null, tombstone: true }]);
    expect(await records.recordFinalSegment(segment({ tenantId: 't-gone', meetingId: 'm1', sequence: 9 }), 2_000)).toBe('erased');
    expect(await queries.listMeetings('t-gone', 10)).toEqual([]);
    expect((await queries.listMeetings('t-a', 10)).length).toBe(1);
  });
});

describe('StorageMaintenanceService over gRPC', () => {
  let running: RunningServices;
  let client: StorageMaintenanceServiceClient;
  let trust: ServiceTrust;
  let evaluator: PolicyEvaluator;

  beforeAll(async () => {
    evaluator = await PolicyEvaluator.load({ logger, watch: false });
    trust = await generateServiceTrust(['gateway', 'lifecycle']);
    const grpcService = storageMaintenanceGrpcService({
      logger,
      authorization: { evaluator, verifier: trust.verifier, auditor: { record: async () => undefined } },
      maintenance: new MaintainMeetings({ store: maintenance, clock: { now: () => 5 }, logger }),
    });
    running = await runServiceModules({
      modules: [{ name: 'maintenance', grpcServices: [grpcService], start: async () => undefined, stop: async () => undefined }],
      server: new GrpcServer({ address: '127.0.0.1:0', logger }),
      logger,
    });
    client = createGrpcClient(StorageMaintenanceServiceClient, `127.0.0.1:${running.port}`);
  });

  afterAll(async () => {
    client?.close();
    await running?.stop();
    evaluator?.close();
  });

  const as = async (service: 'lifecycle' | 'gateway') => subjectAssertionMetadata(await trust.signer(service).sign());

  it('serves lifecycle, refuses the gateway and callers without identity, validates input', async () => {
    const res = await callUnary<object, ListTenantsResponse>(client, 'listTenants', { pageSize: 2, afterTenantId: '' }, { metadata: await as('lifecycle') });
    expect(res.tenantIds).toEqual(['pre-existing', 't-a']);
    await expect(callUnary(client, 'purgeTenant', { tenantId: 't-a' }, { metadata: await as('gateway') })).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    await expect(callUnary(client, 'purgeTenant', { tenantId: 't-a' }, {})).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await expect(callUnary(client, 'listExpiredMeetings', { tenantId: 't-a', endedBeforeUnixMs: 0, pageSize: 0, includeArchived: false }, { metadata: await as('lifecycle') })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    const purged = await callUnary<object, PurgeTenantResponse>(client, 'purgeTenant', { tenantId: 'pre-existing' }, { metadata: await as('lifecycle') });
    expect(purged).toEqual({ meetingsDeleted: 1, segmentsDeleted: 0, alertsDeleted: 0, reportsDeleted: 0, dataKeysDeleted: 0 });
  });
});
