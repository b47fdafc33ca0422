import type { MigrationInterface, QueryRunner } from 'typeorm';

const CURRENT_TENANT = `NULLIF(current_setting('app.tenant_id', true), '')`;

/**
 * The key registry (docs/adr/0010-key-hierarchy.md): one row per (tenant, meeting, purpose)
 * holding the data key wrapped under the tenant key — never its plaintext. Destroying a key
 * sets `wrapped` to NULL and records `destroyed_at` (the tombstone a restore re-applies).
 * Tenant-scoped with row-level security like every other table.
 */
export class DataKeys1732435200000 implements MigrationInterface {
  readonly name = 'DataKeys1732435200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE data_keys (
        tenant_id    text        NOT NULL,
        meeting_id   text        NOT NULL,
        purpose      text        NOT NULL CHECK (purpose IN ('meeting', 'audio')),
        key_name     text        NOT NULL,
        wrapped      text        NULL,
        key_version  integer     NOT NULL DEFAULT 0,
        created_at   timestamptz NOT NULL DEFAULT now(),
        destroyed_at timestamptz NULL,
        PRIMARY KEY (tenant_id, meeting_id, purpose),
        CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
      )`);
    await q.query(`ALTER TABLE data_keys ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE data_keys FORCE ROW LEVEL SECURITY`);
    await q.query(
      `CREATE POLICY tenant_isolation ON data_keys AS PERMISSIVE FOR ALL TO PUBLIC
         USING (tenant_id = ${CURRENT_TENANT})
         WITH CHECK (tenant_id = ${CURRENT_TENANT})`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS data_keys`);
  }
}
