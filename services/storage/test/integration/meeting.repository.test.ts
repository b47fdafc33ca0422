import { MeetingStatus } from '@confide/contracts';
import type { DataSource } from 'typeorm';
import { createStorageDataSource, migrateStorage, STORAGE_MIGRATIONS_TABLE } from '../../src/adapters/postgres/data-source';
import { PostgresMeetingQueryRepository } from '../../src/adapters/postgres/meeting-query.repository';
import { PostgresMeetingRecordRepository } from '../../src/adapters/postgres/meeting-record.repository';
import { DB_START_TIMEOUT_MS, startTestDatabase, type TestDatabase } from './support/embedded-db';
import { alert, report, segment } from './support/records';

const T_A = 'tenant-a';
const T_B = 'tenant-b';
const SEEN = 1_700_000_000_000;

let db: TestDatabase;
/** The application role (confide_app): what the repositories run with, under row-level security. */
let dataSource: DataSource;
/** The owner (the embedded superuser): migrations, and the tests' view of every row. */
let owner: DataSource;
let records: PostgresMeetingRecordRepository;
let queries: PostgresMeetingQueryRepository;
let appliedAtStart: string[];

beforeAll(async () => {
  db = await startTestDatabase();
  owner = createStorageDataSource({ databaseUrl: db.pg.migrationUrl, poolSize: 2 });
  appliedAtStart = await migrateStorage(owner);
  dataSource = createStorageDataSource({ databaseUrl: db.pg.url, poolSize: 4 });
  await dataSource.initialize();
  records = new PostgresMeetingRecordRepository(dataSource);
  queries = new PostgresMeetingQueryRepository(dataSource);
}, DB_START_TIMEOUT_MS);

afterAll(async () => {
  if (dataSource?.isInitialized) await dataSource.destroy();
  if (owner?.isInitialized) await owner.destroy();
  await db?.dispose();
}, DB_START_TIMEOUT_MS);

async function count(table: string, tenantId: string, meetingId: string): Promise<number> {
  const rows: Array<{ n: number }> = await owner.query(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1 AND meeting_id = $2`, [
    tenantId,
    meetingId,
  ]);
  return rows[0]?.n ?? -1;
}

describe('migrations', () => {
  it('creates every table once and applies nothing on a second run', async () => {
    expect(appliedAtStart).toEqual(['InitialSchema1732262400000', 'RowLevelSecurity1732348800000', 'DataKeys1732435200000', 'Retention1764892800000']);
    const tables: Array<{ table_name: string }> = await owner.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    // `tenants` (ids only, no tenant_id column) is the registry the retention sweep walks (docs/adr/0012-retention.md).
    expect(tables.map((t) => t.table_name)).toEqual(['alerts', 'data_keys', 'erased_meetings', 'erased_tenants', 'meetings', 'reports', 'segments', STORAGE_MIGRATIONS_TABLE, 'tenants']);
    const columns: Array<{ table_name: string }> = await owner.query(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
    );
    expect(columns.map((c) => c.table_name)).toEqual(['alerts', 'data_keys', 'erased_meetings', 'erased_tenants', 'meetings', 'reports', 'segments']);
    expect(await migrateStorage(owner)).toEqual([]);
  });

  it('enables and forces row-level security with the tenant_isolation policy on every table with a tenant_id', async () => {
    const tables: Array<{ table_name: string; rls: boolean; forced: boolean; policies: string[]; qual: string | null; check: string | null }> =
      await owner.query(
        `SELECT c.relname AS table_name, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
                array(SELECT p.policyname::text FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname ORDER BY 1) AS policies,
                (SELECT p.qual FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname AND p.policyname = 'tenant_isolation') AS qual,
                (SELECT p.with_check FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname AND p.policyname = 'tenant_isolation') AS check
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r'
            AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
          ORDER BY c.relname`,
      );
    expect(tables.map((t) => t.table_name)).toEqual(['alerts', 'data_keys', 'erased_meetings', 'erased_tenants', 'meetings', 'reports', 'segments']);
    for (const t of tables) {
      expect(t).toMatchObject({ rls: true, forced: true, policies: ['tenant_isolation'] });
      expect(t.qual).toContain(`current_setting('app.tenant_id'::text, true)`);
      expect(t.check).toBe(t.qual);
    }
  });
});

describe('event writes', () => {
  it('stores a meeting once and moves its status only forward', async () => {
    const ref = { tenantId: T_A, meetingId: 'm-status' };
    await records.recordMeetingStarted({ ...ref, title: 'Weekly', participants: [{ id: 'p1', speakerLabel: 'Alice' }], startedAtMs: SEEN });
    expect(await records.recordMeetingEnded(ref, SEEN + 60_000, SEEN + 60_000)).toBe('stored');
    // A redelivered MeetingStarted must not make the meeting active again.
    await records.recordMeetingStarted({ ...ref, title: 'Weekly', participants: [{ id: 'p1', speakerLabel: 'Alice' }], startedAtMs: SEEN });
    const meeting = await queries.getMeeting(ref);
    expect(meeting).toMatchObject({
      meetingId: 'm-status',
      tenantId: T_A,
      title: 'Weekly',
      participants: [{ id: 'p1', speakerLabel: 'Alice' }],
      status: MeetingStatus.MEETING_STATUS_ENDED,
      startedAtUnixMs: SEEN,
      endedAtUnixMs: SEEN + 60_000,
    });
    expect(await count('meetings', T_A, 'm-status')).toBe(1);
    await records.recordTranscriptionCompleted(ref, SEEN + 70_000, SEEN + 70_000);
    expect((await queries.getMeeting(ref))?.status).toBe(MeetingStatus.MEETING_STATUS_TRANSCRIBED);
  });

  it('keeps one row when the same segment, alert or report event arrives twice', async () => {
    const ref = { tenantId: T_A, meetingId: 'm-dup' };
    const s = segment({ ...ref, sequence: 1 });
    expect(await records.recordFinalSegment(s, SEEN)).toBe('stored');
    expect(await records.recordFinalSegment(s, SEEN)).toBe('duplicate');
    const a = alert({ ...ref, segmentId: s.segmentId });
    expect(await records.recordAlert(a, SEEN)).toBe('stored');
    expect(await records.recordAlert(a, SEEN)).toBe('duplicate');
    const r = report(ref);
    await records.recordReport(r, SEEN);
    await records.recordReport(r, SEEN);
    expect(await count('segments', T_A, 'm-dup')).toBe(1);
    expect(await count('alerts', T_A, 'm-dup')).toBe(1);
    expect(await count('reports', T_A, 'm-dup')).toBe(1);
    expect((await queries.getMeeting(ref))?.segmentCount).toBe(1);
  });

  it('keeps content that arrives before MeetingStarted under a placeholder meeting', async () => {
    const ref = { tenantId: T_A, meetingId: 'm-early' };
    await records.recordFinalSegment(segment({ ...ref, sequence: 1 }), SEEN + 5);
    const placeholder = await queries.getMeeting(ref);
    expect(placeholder).toMatchObject({ status: MeetingStatus.MEETING_STATUS_UNSPECIFIED, startedAtUnixMs: SEEN + 5, segmentCount: 1 });
    await records.recordMeetingStarted({ ...ref, title: 'Late start', participants: [], startedAtMs: SEEN });
    expect(await queries.getMeeting(ref)).toMatchObject({
      title: 'Late start',
      status: MeetingStatus.MEETING_STATUS_ACTIVE,
      startedAtUnixMs: SEEN,
      segmentCount: 1,
    });
    expect((await queries.getTranscript(ref))?.map((x) => x.text)).toEqual(['utterance 1']);
  });

  it('keeps the newest report when an older one is redelivered', async () => {
    const ref = { tenantId: T_A, meetingId: 'm-report' };
    await records.recordReport(report({ ...ref, summary: 'newer', generatedAtUnixMs: SEEN + 2 }), SEEN);
    expect(await records.recordReport(report({ ...ref, summary: 'older', generatedAtUnixMs: SEEN + 1 }), SEEN)).toBe('duplicate');
    expect(await queries.getReport(ref)).toEqual(report({ ...ref, summary: 'newer', generatedAtUnixMs: SEEN + 2 }));
  });
});

describe('reads', () => {
  it('returns final segments in time order whatever the arrival order', async () => {
    const ref = { tenantId: T_A, meetingId: 'm-order' };
    const arrivals = [
      segment({ ...ref, sequence: 3 }),
      segment({ ...ref, sequence: 1, trackId: 'p2', startMs: 1500 }),
      segment({ ...ref, sequence: 1 }),
      segment({ ...ref, sequence: 2 }),
    ];
    for (const s of arrivals) await records.recordFinalSegment(s, SEEN);
    const transcript = await queries.getTranscript(ref);
    expect(transcript?.map((s) => [s.segmentId, s.startMs])).toEqual([
      ['m-order:p1:1', 1000],
      ['m-order:p2:1', 1500],
      ['m-order:p1:2', 2000],
      ['m-order:p1:3', 3000],
    ]);
    expect(transcript?.[0]).toEqual({ ...segment({ ...ref, sequence: 1 }), confidence: expect.closeTo(0.9, 5) });
  });

  it('lists a tenant\'s meetings by start time desc, page by page', async () => {
    const tenantId = 'tenant-list';
    for (let i = 1; i <= 5; i += 1) {
      await records.recordMeetingStarted({ tenantId, meetingId: `list-${i}`, title: `M${i}`, participants: [], startedAtMs: SEEN + i * 1000 });
    }
    // Same start time: the meeting id breaks the tie.
    await records.recordMeetingStarted({ tenantId, meetingId: 'list-5b', title: 'M5b', participants: [], startedAtMs: SEEN + 5000 });
    const first = await queries.listMeetings(tenantId, 4);
    expect(first.map((m) => m.meetingId)).toEqual(['list-5b', 'list-5', 'list-4', 'list-3']);
    const last = first[3];
    const second = await queries.listMeetings(tenantId, 4, { startedAtMs: last?.startedAtUnixMs ?? 0, meetingId: last?.meetingId ?? '' });
    expect(second.map((m) => m.meetingId)).toEqual(['list-2', 'list-1']);
  });

  it('never shows tenant A\'s meeting to tenant B', async () => {
    const ref = { tenantId: T_A, meetingId: 'm-private' };
    await records.recordMeetingStarted({ ...ref, title: 'Board', participants: [], startedAtMs: SEEN });
    await records.recordFinalSegment(segment({ ...ref, sequence: 1 }), SEEN);
    await records.recordAlert(alert({ ...ref, segmentId: 'm-private:p1:1' }), SEEN);
    await records.recordReport(report(ref), SEEN);
    const asB = { tenantId: T_B, meetingId: 'm-private' };
    expect(await queries.getMeeting(asB)).toBeUndefined();
    expect(await queries.getTranscript(asB)).toBeUndefined();
    expect(await queries.listAlerts(asB)).toBeUndefined();
    expect(await queries.getReport(asB)).toBeUndefined();
    expect((await queries.listMeetings(T_B, 100)).map((m) => m.meetingId)).not.toContain('m-private');
    // Tenant B purging the same meeting id touches nothing of tenant A.
    expect(await records.purgeMeeting(asB, SEEN)).toEqual({ meetings: 0, segments: 0, alerts: 0, reports: 0 });
    expect(await queries.getTranscript(ref)).toHaveLength(1);
  });
});

describe('purge', () => {
  it('removes every row of the meeting, is idempotent, and its tombstone blocks late events', async () => {
    const ref = { tenantId: T_A, meetingId: 'm-purge' };
    await records.recordMeetingStarted({ ...ref, title: 'To erase', participants: [], startedAtMs: SEEN });
    await records.recordFinalSegment(segment({ ...ref, sequence: 1 }), SEEN);
    await records.recordFinalSegment(segment({ ...ref, sequence: 2 }), SEEN);
    await records.recordAlert(alert({ ...ref, segmentId: 'm-purge:p1:1' }), SEEN);
    await records.recordReport(report(ref), SEEN);
    const other = { tenantId: T_A, meetingId: 'm-keep' };
    await records.recordFinalSegment(segment({ ...other, sequence: 1 }), SEEN);

    expect(await records.purgeMeeting(ref, SEEN + 1)).toEqual({ meetings: 1, segments: 2, alerts: 1, reports: 1 });
    for (const table of ['meetings', 'segments', 'alerts', 'reports']) expect(await count(table, T_A, 'm-purge')).toBe(0);
    expect(await count('erased_meetings', T_A, 'm-purge')).toBe(1);
    expect(await queries.getTranscript(other)).toHaveLength(1);

    // Late or redelivered events of the erased meeting are ignored.
    expect(await records.recordFinalSegment(segment({ ...ref, sequence: 3 }), SEEN)).toBe('erased');
    expect(await records.recordAlert(alert({ ...ref, segmentId: 'm-purge:p1:3' }), SEEN)).toBe('erased');
    expect(await records.recordReport(report(ref), SEEN)).toBe('erased');
    expect(await records.recordMeetingStarted({ ...ref, title: 'Back?', participants: [], startedAtMs: SEEN })).toBe('erased');
    expect(await records.recordMeetingEnded(ref, SEEN, SEEN)).toBe('erased');
    for (const table of ['meetings', 'segments', 'alerts', 'reports']) expect(await count(table, T_A, 'm-purge')).toBe(0);
    expect(await queries.getMeeting(ref)).toBeUndefined();

    // A second purge deletes nothing and keeps the first tombstone.
    expect(await records.purgeMeeting(ref, SEEN + 2)).toEqual({ meetings: 0, segments: 0, alerts: 0, reports: 0 });
    const tombstones: Array<{ erased_at_ms: string }> = await owner.query(
      'SELECT erased_at_ms FROM erased_meetings WHERE tenant_id = $1 AND meeting_id = $2',
      [T_A, 'm-purge'],
    );
    expect(tombstones.map((t) => Number(t.erased_at_ms))).toEqual([SEEN + 1]);
  });
});
