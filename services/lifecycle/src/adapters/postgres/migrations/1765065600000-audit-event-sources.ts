import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit_events.source_event_id`: the id of the confide.audit.v1 event an entry was appended from
 * (docs/adr/0014-audit-over-the-bus.md). Unique per tenant, so a redelivered event is never
 * appended twice (`ON CONFLICT DO NOTHING` on this index, after a look-up under the tenant's
 * append lock). NULL for entries lifecycle appends itself. Not part of the hash or the export:
 * the chain's format (ADR 0011) is unchanged. Adding a nullable column fires no trigger and
 * rewrites no row; the application role's table-level INSERT and SELECT cover it.
 */
export class AuditEventSources1765065600000 implements MigrationInterface {
  readonly name = 'AuditEventSources1765065600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events ADD COLUMN source_event_id text NULL CHECK (source_event_id IS NULL OR length(source_event_id) BETWEEN 1 AND 200)`);
    await q.query(`CREATE UNIQUE INDEX uq_audit_events_source ON audit_events (tenant_id, source_event_id) WHERE source_event_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS uq_audit_events_source`);
    await q.query(`ALTER TABLE audit_events DROP COLUMN IF EXISTS source_event_id`);
  }
}
