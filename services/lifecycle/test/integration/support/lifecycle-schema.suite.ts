import { SIGNING_KEY_NAME, systemClock } from '@confide/platform';
import { migrateLifecycleDatabase } from '../../../src/adapters/postgres/lifecycle.data-source';
import { PostgresAuditEventStore } from '../../../src/adapters/postgres/audit-event.repository';
import { verifyAuditExport } from '../../../src/domain/audit-export.verifier';
import { publishedSigningKeys } from '../../../src/domain/signing';
import { ChainedAuditLog } from '../../../src/use-cases/chained-audit-log';
import { ExportAuditLog } from '../../../src/use-cases/export-audit-log.use-case';
import { SignAuditCheckpoint } from '../../../src/use-cases/sign-audit-checkpoint.use-case';
import { openLifecycleDatabase, openTestKms, purgeTestTenants, testTenants, uniqueTenant, type LifecycleTestContext, type TestDatabaseUrls, type TestKms } from './lifecycle-db';

export const LIFECYCLE_TENANT_TABLES = ['audit_events', 'audit_checkpoints', 'deletion_certificates', 'staff_grants', 'retention_policies'];
const APPEND_ONLY = ['audit_events', 'audit_checkpoints', 'deletion_certificates'];

/**
 * The schema promises on a given PostgreSQL: migrations as the owner, RLS on every lifecycle
 * table, the application role limited to SELECT/INSERT on the append-only tables, and tampering
 * by the owner (who can disable the append-only trigger) detected by the offline verifier.
 */
export function describeLifecycleSchema(name: string, open: () => Promise<TestDatabaseUrls>, timeoutMs: number): void {
  describe(name, () => {
    let ctx: LifecycleTestContext;
    let keys: TestKms;

    beforeAll(async () => {
      ctx = await openLifecycleDatabase(await open());
      keys = await openTestKms();
    }, timeoutMs);

    afterAll(async () => {
      if (ctx) await purgeTestTenants(ctx.urls.migrationUrl, testTenants.splice(0));
      await ctx?.dispose();
      await keys?.dispose();
    });

    it('migrates once, into its own history table', async () => {
      expect(await migrateLifecycleDatabase(ctx.urls.migrationUrl)).toEqual([]);
      const rows = await ctx.asOwner<{ name: string }>('', 'SELECT name FROM lifecycle_migrations');
      expect(rows.map((r) => r.name)).toContain('LifecycleSchema1764806400000');
    });

    it('enables and forces row-level security with tenant_isolation on every lifecycle table', async () => {
      const rows = await ctx.asOwner<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: string[] }>(
        '',
        `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                ARRAY(SELECT polname::text FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
           FROM pg_class c WHERE c.relname = ANY($1) AND c.relnamespace = 'public'::regnamespace`,
        [LIFECYCLE_TENANT_TABLES],
      );
      expect(rows.map((r) => r.relname).sort()).toEqual([...LIFECYCLE_TENANT_TABLES].sort());
      for (const r of rows) {
        expect({ table: r.relname, rls: r.relrowsecurity, forced: r.relforcerowsecurity, policies: r.policies }).toEqual({
          table: r.relname,
          rls: true,
          forced: true,
          policies: ['tenant_isolation'],
        });
      }
    });

    it('gives the application role SELECT and INSERT only on the append-only tables, and no write on the history', async () => {
      const privileges = async (table: string) => {
        const [row] = await ctx.asApp<Record<string, boolean>>(
          undefined,
          `SELECT has_table_privilege(current_user, $1, 'SELECT') AS select, has_table_privilege(current_user, $1, 'INSERT') AS insert,
                  has_table_privilege(current_user, $1, 'UPDATE') AS update, has_table_privilege(current_user, $1, 'DELETE') AS delete,
                  has_table_privilege(current_user, $1, 'TRUNCATE') AS truncate`,
          [table],
        );
        return row;
      };
      for (const table of APPEND_ONLY) {
        expect({ table, ...(await privileges(table)) }).toEqual({ table, select: true, insert: true, update: false, delete: false, truncate: false });
      }
      for (const table of ['staff_grants', 'retention_policies']) {
        expect({ table, ...(await privileges(table)) }).toEqual({ table, select: true, insert: true, update: true, delete: true, truncate: false });
      }
      const history = await privileges('lifecycle_migrations');
      expect({ insert: history!.insert, update: history!.update, delete: history!.delete }).toEqual({ insert: false, update: false, delete: false });
    });

    it('confines raw SQL of the application role to the tenant of the transaction', async () => {
      const a = uniqueTenant('rls-a');
      const b = uniqueTenant('rls-b');
      const store = new PostgresAuditEventStore(ctx.app);
      const event = { occurredAtMs: 1, actor: 'u1', action: 'meeting:read', resource: 'meeting/m1', decision: 'allow' as const, outcome: 'success' as const, obligations: [] };
      await store.append({ tenantId: a, ...event });
      await store.append({ tenantId: b, ...event });
      await ctx.asApp(a, `INSERT INTO retention_policies (tenant_id, retention_days, action, updated_at_ms, updated_by) VALUES ($1, 30, 'archive', 1, 'u1')`, [a]);

      for (const table of LIFECYCLE_TENANT_TABLES) {
        const none = await ctx.asApp<{ n: string }>(undefined, `SELECT count(*) AS n FROM ${table}`);
        expect({ table, n: Number(none[0]!.n) }).toEqual({ table, n: 0 });
        const ofA = await ctx.asApp<{ n: string }>(b, `SELECT count(*) AS n FROM ${table} WHERE tenant_id = $1`, [a]);
        expect({ table, n: Number(ofA[0]!.n) }).toEqual({ table, n: 0 });
      }
      const ownB = await ctx.asApp<{ tenant_id: string }>(b, 'SELECT DISTINCT tenant_id FROM audit_events');
      expect(ownB).toEqual([{ tenant_id: b }]);
      await expect(
        ctx.asApp(b, `INSERT INTO retention_policies (tenant_id, retention_days, action, updated_at_ms, updated_by) VALUES ($1, 30, 'delete', 1, 'u1')`, [a]),
      ).rejects.toThrow(/row-level security/);
      await expect(
        ctx.asApp(undefined, `INSERT INTO retention_policies (tenant_id, retention_days, action, updated_at_ms, updated_by) VALUES ($1, 30, 'delete', 1, 'u1')`, [b]),
      ).rejects.toThrow(/row-level security/);
      const changed = await ctx.asApp<{ tenant_id: string }>(b, `UPDATE retention_policies SET retention_days = 1 WHERE tenant_id = $1 RETURNING tenant_id`, [a]);
      expect(changed).toEqual([]);
      expect((await ctx.asOwner<{ retention_days: number }>(a, 'SELECT retention_days FROM retention_policies WHERE tenant_id = $1', [a]))[0]!.retention_days).toBe(30);
    });

    it('refuses UPDATE and DELETE of audit events to the application role and, through the trigger, to the owner', async () => {
      const tenant = uniqueTenant('append-only');
      await new PostgresAuditEventStore(ctx.app).append({
        tenantId: tenant, occurredAtMs: 1, actor: 'u1', action: 'meeting:read', resource: 'meeting/m1', decision: 'allow', outcome: 'success', obligations: [],
      });
      await expect(ctx.asApp(tenant, `UPDATE audit_events SET action = 'x' WHERE tenant_id = $1`, [tenant])).rejects.toThrow(/permission denied/);
      await expect(ctx.asApp(tenant, `DELETE FROM audit_events WHERE tenant_id = $1`, [tenant])).rejects.toThrow(/permission denied/);
      await expect(ctx.asOwner(tenant, `UPDATE audit_events SET action = 'x' WHERE tenant_id = $1`, [tenant])).rejects.toThrow(/append-only/);
      await expect(ctx.asOwner(tenant, `DELETE FROM audit_events WHERE tenant_id = $1`, [tenant])).rejects.toThrow(/append-only/);
    });

    it('detects an event modified directly in SQL by the owner (trigger disabled on purpose)', async () => {
      const tenant = uniqueTenant('tamper');
      const store = new PostgresAuditEventStore(ctx.app);
      const audit = new ChainedAuditLog(store);
      for (let i = 1; i <= 4; i++) {
        await audit.append({ tenantId: tenant, actor: `u${i}`, action: 'transcript:read', resource: `meeting/m${i}`, outcome: 'success', atMs: 1000 + i });
      }
      await new SignAuditCheckpoint({ store, kms: keys.kms, signingKeyName: SIGNING_KEY_NAME, clock: systemClock }).execute(tenant);
      const exporter = new ExportAuditLog({ store, clock: systemClock, signingKeyName: SIGNING_KEY_NAME });
      const published = publishedSigningKeys(SIGNING_KEY_NAME, await keys.kms.publicKeys(SIGNING_KEY_NAME));
      expect(verifyAuditExport(await exporter.text(tenant), published)).toMatchObject({ ok: true, events: 4, checkpointedThroughSeq: 4 });

      // Tamper: one statement, with the append-only trigger switched off and on again.
      await ctx.asOwner(tenant, 'ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      try {
        await ctx.asOwner(tenant, `UPDATE audit_events SET actor = 'someone-else' WHERE tenant_id = $1 AND seq = 2`, [tenant]);
      } finally {
        await ctx.asOwner(tenant, 'ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
      }
      const result = verifyAuditExport(await exporter.text(tenant), published);
      expect(result.ok).toBe(false);
      expect(result.errors).toEqual([expect.objectContaining({ code: 'hash-mismatch', message: expect.stringContaining('seq 2') })]);
    });
  });
}
