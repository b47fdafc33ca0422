import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention and erasure support (docs/adr/0012-retention.md):
 * - `meetings.archived_at_ms`: an archived meeting stays encrypted in place and is hidden from
 *   the normal reads until restored; `ix_meetings_tenant_ended` serves the retention listing.
 * - `tenants` (`id`): the tenant registry, the one cross-tenant listing (ids only, no content).
 *   Kept by a trigger on `meetings` (every meeting row registers its tenant), backfilled here.
 *   Not a tenant-scoped table (no `tenant_id`, no RLS): it is the directory of tenants, which
 *   the application role (serving every tenant) must enumerate for the retention and
 *   audio-key sweeps; every other statement of a sweep runs inside one tenant's RLS scope.
 * - `erased_tenants`: tombstones of erased tenants (a restore re-applies them; writers refuse
 *   events of an erased tenant). Tenant-scoped with RLS like every tenant table.
 */
export class Retention1764892800000 implements MigrationInterface {
  readonly name = 'Retention1764892800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE meetings ADD COLUMN archived_at_ms bigint NULL`);
    await q.query(`CREATE INDEX ix_meetings_tenant_ended ON meetings (tenant_id, ended_at_ms, meeting_id) WHERE ended_at_ms IS NOT NULL`);

    await q.query(`
      CREATE TABLE tenants (
        id            text        NOT NULL PRIMARY KEY,
        registered_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE FUNCTION register_meeting_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO tenants (id) VALUES (NEW.tenant_id) ON CONFLICT (id) DO NOTHING;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER meetings_register_tenant AFTER INSERT ON meetings
        FOR EACH ROW EXECUTE FUNCTION register_meeting_tenant()`);
    // Backfill as the owner: FORCE RLS would hide every row from it, so lift it for this
    // transaction only (ALTER TABLE holds an exclusive lock until the commit; nobody else sees it).
    await q.query(`ALTER TABLE meetings NO FORCE ROW LEVEL SECURITY`);
    await q.query(`INSERT INTO tenants (id) SELECT DISTINCT tenant_id FROM meetings ON CONFLICT DO NOTHING`);
    await q.query(`ALTER TABLE meetings FORCE ROW LEVEL SECURITY`);

    await q.query(`
      CREATE TABLE erased_tenants (
        tenant_id    text        NOT NULL PRIMARY KEY,
        erased_at_ms bigint      NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE erased_tenants ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE erased_tenants FORCE ROW LEVEL SECURITY`);
    await q.query(
      `CREATE POLICY tenant_isolation ON erased_tenants AS PERMISSIVE FOR ALL TO PUBLIC
         USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
         WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS erased_tenants`);
    await q.query(`DROP TRIGGER IF EXISTS meetings_register_tenant ON meetings`);
    await q.query(`DROP FUNCTION IF EXISTS register_meeting_tenant()`);
    await q.query(`DROP TABLE IF EXISTS tenants`);
    await q.query(`DROP INDEX IF EXISTS ix_meetings_tenant_ended`);
    await q.query(`ALTER TABLE meetings DROP COLUMN IF EXISTS archived_at_ms`);
  }
}
