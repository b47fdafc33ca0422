import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createStorageDataSource, migrateStorage } from '../../../src/adapters/postgres/data-source';
import { PostgresMeetingQueryRepository } from '../../../src/adapters/postgres/meeting-query.repository';
import { PostgresMeetingRecordRepository } from '../../../src/adapters/postgres/meeting-record.repository';
import { alert, report, segment } from './records';

/** A database to run the suite against: the application role's URL and the migration role's. */
export interface RlsTarget {
  appUrl: string;
  migrationUrl: string;
  dispose(): Promise<void>;
}

const TABLES = ['meetings', 'segments', 'alerts', 'reports', 'erased_meetings'] as const;
const SEEN = 1_700_000_000_000;

/**
 * Row-level security as the second wall: data of two tenants written through the
 * repositories, then raw SQL as the application role (the policy layer and the repositories'
 * tenant filters skipped) must see and touch only the tenant of its `app.tenant_id`, and
 * nothing without one. Tenants are unique per run, and removed afterwards, so the suite can
 * run on a shared database.
 */
export function describeRowLevelSecurity(name: string, connect: () => Promise<RlsTarget>, timeoutMs: number): void {
  describe(name, () => {
    const run = randomBytes(4).toString('hex');
    const A = `rls-a-${run}`;
    const B = `rls-b-${run}`;
    let target: RlsTarget | undefined;
    let dataSource: DataSource | undefined;
    let app: Client | undefined;
    let records: PostgresMeetingRecordRepository;
    let queries: PostgresMeetingQueryRepository;

    beforeAll(async () => {
      target = await connect();
      const owner = createStorageDataSource({ databaseUrl: target.migrationUrl, poolSize: 2 });
      try {
        await migrateStorage(owner);
      } finally {
        if (owner.isInitialized) await owner.destroy();
      }
      // One connection: every repository call below reuses the one the raw checks use.
      dataSource = createStorageDataSource({ databaseUrl: target.appUrl, poolSize: 1 });
      await dataSource.initialize();
      records = new PostgresMeetingRecordRepository(dataSource);
      queries = new PostgresMeetingQueryRepository(dataSource);
      for (const tenantId of [A, B]) {
        const ref = { tenantId, meetingId: 'm-1' };
        await records.recordMeetingStarted({ ...ref, title: `title of ${tenantId}`, participants: [], startedAtMs: SEEN });
        const s = segment({ ...ref, sequence: 1, text: `words of ${tenantId}` });
        await records.recordFinalSegment(s, SEEN);
        await records.recordAlert(alert({ ...ref, segmentId: s.segmentId }), SEEN);
        await records.recordReport(report(ref), SEEN);
        const erased = { tenantId, meetingId: 'm-erased' };
        await records.recordFinalSegment(segment({ ...erased, sequence: 1 }), SEEN);
        await records.purgeMeeting(erased, SEEN + 1);
      }
      app = new Client({ connectionString: target.appUrl });
      await app.connect();
    }, timeoutMs);

    afterAll(async () => {
      await app?.end().catch(() => undefined);
      if (dataSource?.isInitialized) await dataSource.destroy();
      if (target) {
        await removeTenants(target.migrationUrl, [A, B]).catch(() => undefined);
        await target.dispose();
      }
    }, timeoutMs);

    /** Runs `fn` on the raw application connection in a transaction of `tenantId` (none: no setting), then rolls back. */
    async function asTenant<T>(tenantId: string | undefined, fn: (c: Client) => Promise<T>): Promise<T> {
      const c = app as Client;
      await c.query('BEGIN');
      try {
        if (tenantId !== undefined) await c.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
        return await fn(c);
      } finally {
        await c.query('ROLLBACK');
      }
    }

    it('a query run without tenant context, or with another tenant\'s context, returns no rows even when the policy layer is skipped', async () => {
      // No setting on this connection yet, and none left behind by the repositories' transactions.
      const setting = await (app as Client).query(`SELECT current_setting('app.tenant_id', true) AS t`);
      expect(setting.rows[0].t ?? '').toBe('');
      const leftover: Array<{ t: string | null }> = await (dataSource as DataSource).query(`SELECT current_setting('app.tenant_id', true) AS t`);
      expect(leftover[0]?.t ?? '').toBe('');
      for (const table of TABLES) {
        expect((await (dataSource as DataSource).query(`SELECT * FROM ${table}`)).length).toBe(0);
        await asTenant(undefined, async (c) => {
          expect((await c.query(`SELECT * FROM ${table}`)).rowCount).toBe(0);
          expect((await c.query(`SELECT * FROM ${table} WHERE tenant_id = $1`, [A])).rowCount).toBe(0);
        });
        await asTenant('', async (c) => {
          expect((await c.query(`SELECT * FROM ${table}`)).rowCount).toBe(0);
        });
        await asTenant(B, async (c) => {
          const rows = (await c.query<{ tenant_id: string; meeting_id: string }>(`SELECT tenant_id, meeting_id FROM ${table}`)).rows;
          expect(rows.length).toBeGreaterThan(0);
          expect(rows.every((r) => r.tenant_id === B)).toBe(true);
          expect((await c.query(`SELECT * FROM ${table} WHERE tenant_id = $1`, [A])).rowCount).toBe(0);
        });
      }
      await asTenant(B, async (c) => {
        const text = (await c.query<{ text: string }>('SELECT text FROM segments')).rows.map((r) => r.text);
        expect(text).toEqual([`words of ${B}`]);
      });
      // The owner's view (migration role, in A's context) proves A's rows are there to hide.
      expect(await countAs(target as RlsTarget, A, 'segments')).toBe(1);
    });

    it('refuses to insert a row of tenant A under tenant B\'s context, or any row without a context', async () => {
      const attempts: Array<[string | undefined, string, unknown[]]> = [
        [B, `INSERT INTO meetings (tenant_id, meeting_id, started_at_ms) VALUES ($1, 'm-injected', 1)`, [A]],
        [B, `INSERT INTO segments (tenant_id, segment_id, meeting_id, track_id, text, start_ms, end_ms, sequence)
             VALUES ($1, 'injected', 'm-1', 'p1', 'x', 0, 1, 99)`, [A]],
        [B, `INSERT INTO alerts (tenant_id, alert_id, meeting_id, rule_id, message) VALUES ($1, 'injected', 'm-1', 'r', 'x')`, [A]],
        [B, `INSERT INTO reports (tenant_id, meeting_id, summary, action_items, decisions, generated_at_ms)
             VALUES ($1, 'm-erased', 's', '[]', '[]', 1)`, [A]],
        [B, `INSERT INTO erased_meetings (tenant_id, meeting_id, erased_at_ms) VALUES ($1, 'm-1', 1)`, [A]],
        [undefined, `INSERT INTO meetings (tenant_id, meeting_id, started_at_ms) VALUES ($1, 'm-no-context', 1)`, [B]],
        // Moving one's own row into another tenant fails the WITH CHECK.
        [B, `UPDATE meetings SET tenant_id = $1 WHERE meeting_id = 'm-1'`, [A]],
      ];
      for (const [tenant, sql, params] of attempts) {
        await expect(asTenant(tenant, (c) => c.query(sql, params))).rejects.toThrow(/row-level security/);
      }
      expect(await countAs(target as RlsTarget, A, 'meetings')).toBe(1);
    });

    it('UPDATE and DELETE under tenant B\'s context affect none of tenant A\'s rows', async () => {
      await asTenant(B, async (c) => {
        for (const table of TABLES) {
          expect((await c.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [A])).rowCount).toBe(0);
        }
        expect((await c.query(`UPDATE meetings SET title = 'overwritten' WHERE tenant_id = $1`, [A])).rowCount).toBe(0);
        expect((await c.query(`UPDATE segments SET text = 'overwritten' WHERE tenant_id = $1`, [A])).rowCount).toBe(0);
        // Unfiltered statements reach B's rows only (rolled back below).
        expect((await c.query(`UPDATE segments SET text = 'overwritten'`)).rowCount).toBe(1);
        expect((await c.query(`DELETE FROM alerts`)).rowCount).toBe(1);
        expect((await c.query(`DELETE FROM erased_meetings`)).rowCount).toBe(1);
      });
      await asTenant(undefined, async (c) => {
        expect((await c.query(`UPDATE segments SET text = 'overwritten'`)).rowCount).toBe(0);
        expect((await c.query(`DELETE FROM segments`)).rowCount).toBe(0);
      });
      const ref = { tenantId: A, meetingId: 'm-1' };
      expect((await queries.getMeeting(ref))?.title).toBe(`title of ${A}`);
      expect((await queries.getTranscript(ref))?.map((s) => s.text)).toEqual([`words of ${A}`]);
      expect(await queries.listAlerts(ref)).toHaveLength(1);
      expect((await queries.getReport(ref))?.summary).toBe(report(ref).summary);
      expect(await records.recordFinalSegment(segment({ tenantId: A, meetingId: 'm-erased', sequence: 2 }), SEEN)).toBe('erased');
    });

    it('serves through an application role that is neither superuser nor BYPASSRLS and owns none of the tables', async () => {
      const c = app as Client;
      const role = await c.query(
        `SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user`,
      );
      expect(role.rows).toEqual([
        { rolname: expect.any(String), rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false },
      ]);
      const owners = await c.query<{ tablename: string; tableowner: string }>(
        `SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY tablename`,
        [[...TABLES]],
      );
      expect(owners.rows.map((r) => r.tablename)).toEqual([...TABLES].sort());
      for (const r of owners.rows) expect(r.tableowner).not.toBe(role.rows[0].rolname);
      const rls = await c.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
        `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
          WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1)`,
        [[...TABLES]],
      );
      expect(rls.rows.every((r) => r.relrowsecurity && r.relforcerowsecurity)).toBe(true);
      const privileges = await c.query(
        `SELECT has_schema_privilege('public', 'CREATE') AS create_in_schema,
                has_table_privilege('storage_migrations', 'INSERT') AS write_migrations,
                has_table_privilege('segments', 'SELECT, INSERT, UPDATE, DELETE') AS use_tables`,
      );
      expect(privileges.rows[0]).toEqual({ create_in_schema: false, write_migrations: false, use_tables: true });
    });
  });
}

/** Rows of `table` for `tenantId`, seen by the migration role in that tenant's context. */
async function countAs(target: RlsTarget, tenantId: string, table: string): Promise<number> {
  const c = new Client({ connectionString: target.migrationUrl });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    const res = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [tenantId]);
    await c.query('COMMIT');
    return res.rows[0]?.n ?? -1;
  } finally {
    await c.end();
  }
}

/** Deletes the suite's tenants (children first), each in its own context. */
async function removeTenants(migrationUrl: string, tenants: string[]): Promise<void> {
  const c = new Client({ connectionString: migrationUrl });
  await c.connect();
  try {
    for (const tenantId of tenants) {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
      for (const table of ['segments', 'alerts', 'reports', 'meetings', 'erased_meetings']) {
        await c.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [tenantId]);
      }
      await c.query('COMMIT');
    }
  } finally {
    await c.end();
  }
}
