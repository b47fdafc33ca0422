import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `erasure_requests`: the erasure outbox (issue 6, docs/adr/0012-retention.md). One row per
 * erased subject of a tenant (`subject_key` = `meeting/<id>`, `user/<id>` or `tenant`),
 * written before the first effect and advanced step by step (crypto-erasure, purge,
 * certificate, finish), so a retry resumes where a failure stopped. Tenant-scoped with RLS
 * enabled and forced like every lifecycle table. Holds ids, times, counts and the request's
 * reason (the certificate carries it too) — never content or keys.
 */
export class ErasureRequests1764979200000 implements MigrationInterface {
  readonly name = 'ErasureRequests1764979200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE erasure_requests (
        tenant_id           text    NOT NULL,
        erasure_id          text    NOT NULL,
        subject_key         text    NOT NULL,
        subject             jsonb   NOT NULL,
        requested_by        text    NOT NULL,
        reason              text    NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
        requested_at_ms     bigint  NOT NULL,
        crypto_erased_at_ms bigint  NULL,
        keys_destroyed      integer NULL,
        key_refs            jsonb   NULL,
        purged_at_ms        bigint  NULL,
        counts              jsonb   NULL,
        certificate_id      text    NULL,
        outcome             text    NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'completed', 'not-found')),
        completed_at_ms     bigint  NULL,
        CONSTRAINT pk_erasure_requests PRIMARY KEY (tenant_id, erasure_id),
        CONSTRAINT uq_erasure_requests_subject UNIQUE (tenant_id, subject_key)
      )`);
    await q.query(`CREATE INDEX ix_erasure_requests_pending ON erasure_requests (tenant_id, requested_at_ms) WHERE outcome = 'pending'`);
    await q.query(`ALTER TABLE erasure_requests ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE erasure_requests FORCE ROW LEVEL SECURITY`);
    await q.query(
      `CREATE POLICY tenant_isolation ON erasure_requests AS PERMISSIVE FOR ALL TO PUBLIC
         USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
         WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS erasure_requests`);
  }
}
