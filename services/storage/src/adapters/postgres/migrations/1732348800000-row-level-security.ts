import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The tables of this migration; a later tenant-scoped table enables RLS in its own migration. */
const TENANT_TABLES = ['meetings', 'segments', 'alerts', 'reports', 'erased_meetings'] as const;

/**
 * The tenant of the current transaction, NULL when none was set: `current_setting(.., true)`
 * is NULL when the setting was never defined in the session and '' after a transaction that
 * set it locally has ended, so both mean "no tenant" and match no row.
 */
const CURRENT_TENANT = `NULLIF(current_setting('app.tenant_id', true), '')`;

/**
 * Row-level security, the second wall of tenant isolation (the first: every query names the
 * tenant, and OPA above). Every tenant-scoped table gets RLS enabled AND forced (so even the
 * owning role is subject to it; superusers and BYPASSRLS roles are not, which is why the
 * application connects as neither) and one policy `tenant_isolation` for every command:
 * rows are visible, updatable and deletable (USING) and insertable or updatable into
 * (WITH CHECK) only when `tenant_id` equals the transaction's `app.tenant_id`, set by the
 * repositories' `withTenant` through `set_config('app.tenant_id', $1, true)`. Without a
 * tenant setting a query sees no rows and writes none.
 *
 * Also: the migration history is the migration role's business. Roles granted table
 * privileges through default privileges (the application role) keep SELECT on it but lose
 * INSERT/UPDATE/DELETE/TRUNCATE.
 */
export class RowLevelSecurity1732348800000 implements MigrationInterface {
  readonly name = 'RowLevelSecurity1732348800000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of TENANT_TABLES) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await q.query(
        `CREATE POLICY tenant_isolation ON ${table} AS PERMISSIVE FOR ALL TO PUBLIC
           USING (tenant_id = ${CURRENT_TENANT})
           WITH CHECK (tenant_id = ${CURRENT_TENANT})`,
      );
    }
    // Same name as STORAGE_MIGRATIONS_TABLE (data-source.ts imports this folder: no import back).
    await q.query(`
      DO $$
      DECLARE grantee_name text;
      BEGIN
        FOR grantee_name IN
          SELECT DISTINCT quote_ident(r.rolname)
            FROM pg_class c
            CROSS JOIN LATERAL aclexplode(c.relacl) a
            JOIN pg_roles r ON r.oid = a.grantee
           WHERE c.oid = to_regclass('storage_migrations') AND a.grantee <> c.relowner
        LOOP
          EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON storage_migrations FROM %s', grantee_name);
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [...TENANT_TABLES].reverse()) {
      await q.query(`DROP POLICY IF EXISTS tenant_isolation ON ${table}`);
      await q.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
    }
  }
}
