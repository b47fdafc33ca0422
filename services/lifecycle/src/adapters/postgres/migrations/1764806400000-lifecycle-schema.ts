import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every table of this migration is tenant-scoped and gets the `tenant_isolation` policy. */
const TENANT_TABLES = ['audit_events', 'audit_checkpoints', 'deletion_certificates', 'staff_grants', 'retention_policies'] as const;

/** Append-only tables: non-owners keep SELECT and INSERT only. */
const APPEND_ONLY_TABLES = ['audit_events', 'audit_checkpoints', 'deletion_certificates'] as const;

/** As in storage's RowLevelSecurity1732348800000 (ADR 0006): no tenant setting = no row. */
const CURRENT_TENANT = `NULLIF(current_setting('app.tenant_id', true), '')`;

/** Same name as LIFECYCLE_MIGRATIONS_TABLE (lifecycle.data-source.ts imports this folder: no import back). */
const MIGRATIONS_TABLE = 'lifecycle_migrations';

/**
 * Revokes `privileges` on `table` from every role holding a privilege on it other than the
 * owner (the application role received SELECT/INSERT/UPDATE/DELETE through the migration
 * role's default privileges, ADR 0006). The application role's name is not known here.
 */
function revokeFromNonOwners(table: string, privileges: string): string {
  return `
    DO $$
    DECLARE grantee_name text;
    BEGIN
      FOR grantee_name IN
        SELECT DISTINCT quote_ident(r.rolname)
          FROM pg_class c
          CROSS JOIN LATERAL aclexplode(c.relacl) a
          JOIN pg_roles r ON r.oid = a.grantee
         WHERE c.oid = to_regclass('${table}') AND a.grantee <> c.relowner
      LOOP
        EXECUTE format('REVOKE ${privileges} ON ${table} FROM %s', grantee_name);
      END LOOP;
    END $$`;
}

/**
 * The lifecycle schema (ADR 0011), in the same database as storage with its own history table:
 * - `audit_events`: per-tenant hash chain (seq from 1 without gaps, prev_hash, hash); ids,
 *   names and decisions only. Append-only: the application role has SELECT and INSERT, and a
 *   trigger refuses UPDATE and DELETE for every role (the owner must disable it on purpose).
 * - `audit_checkpoints`: signed (tenant, seq, head hash); append-only likewise.
 * - `deletion_certificates`: the signed certificate, stored as its exact canonical JSON text.
 * - `staff_grants`: support-staff access requests and their decisions; expiry ≤ 72 h after
 *   approval is also a CHECK.
 * - `retention_policies`: per tenant; no row = the default (90 days, delete).
 * Every table: RLS enabled and forced, policy `tenant_isolation` on `app.tenant_id`.
 */
export class LifecycleSchema1764806400000 implements MigrationInterface {
  readonly name = 'LifecycleSchema1764806400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_events (
        tenant_id      text        NOT NULL,
        seq            bigint      NOT NULL CHECK (seq >= 1),
        occurred_at_ms bigint      NOT NULL,
        actor          text        NOT NULL,
        action         text        NOT NULL,
        resource       text        NOT NULL,
        decision       text        NOT NULL CHECK (decision IN ('allow', 'deny')),
        outcome        text        NOT NULL CHECK (outcome IN ('success', 'not-found', 'failure', '')),
        obligations    text[]      NOT NULL DEFAULT '{}',
        prev_hash      char(64)    NOT NULL,
        hash           char(64)    NOT NULL,
        recorded_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_audit_events PRIMARY KEY (tenant_id, seq)
      )`);
    await q.query(`
      CREATE TABLE audit_checkpoints (
        tenant_id    text     NOT NULL,
        seq          bigint   NOT NULL CHECK (seq >= 1),
        head_hash    char(64) NOT NULL,
        signed_at_ms bigint   NOT NULL,
        key_name     text     NOT NULL,
        key_version  integer  NOT NULL CHECK (key_version >= 1),
        signature    text     NOT NULL,
        CONSTRAINT pk_audit_checkpoints PRIMARY KEY (tenant_id, seq)
      )`);
    await q.query(`
      CREATE TABLE deletion_certificates (
        tenant_id           text    NOT NULL,
        certificate_id      text    NOT NULL,
        meeting_id          text    NOT NULL,
        issued_at_ms        bigint  NOT NULL,
        signing_key_version integer NOT NULL CHECK (signing_key_version >= 1),
        document            text    NOT NULL,
        CONSTRAINT pk_deletion_certificates PRIMARY KEY (tenant_id, certificate_id)
      )`);
    await q.query(`CREATE INDEX ix_deletion_certificates_meeting ON deletion_certificates (tenant_id, meeting_id, issued_at_ms)`);
    await q.query(`
      CREATE TABLE staff_grants (
        tenant_id             text   NOT NULL,
        grant_id              text   NOT NULL,
        staff_id              text   NOT NULL,
        reason                text   NOT NULL CHECK (length(btrim(reason)) > 0),
        scope                 text   NOT NULL CHECK (scope IN ('tenant', 'meeting')),
        meeting_id            text   NOT NULL DEFAULT '',
        requested_at_ms       bigint NOT NULL,
        requested_duration_ms bigint NOT NULL CHECK (requested_duration_ms > 0 AND requested_duration_ms <= 259200000),
        approved_by           text,
        approved_at_ms        bigint,
        denied_by             text,
        denied_at_ms          bigint,
        revoked_by            text,
        revoked_at_ms         bigint,
        expires_at_ms         bigint,
        CONSTRAINT pk_staff_grants PRIMARY KEY (tenant_id, grant_id),
        CONSTRAINT ck_staff_grants_scope CHECK ((scope = 'tenant' AND meeting_id = '') OR (scope = 'meeting' AND meeting_id <> '')),
        CONSTRAINT ck_staff_grants_approval CHECK (
          (approved_at_ms IS NULL AND approved_by IS NULL AND expires_at_ms IS NULL)
          OR (approved_at_ms IS NOT NULL AND approved_by IS NOT NULL AND approved_by <> staff_id
              AND expires_at_ms > approved_at_ms AND expires_at_ms <= approved_at_ms + 259200000)),
        CONSTRAINT ck_staff_grants_denial CHECK (
          (denied_at_ms IS NULL AND denied_by IS NULL)
          OR (denied_at_ms IS NOT NULL AND denied_by IS NOT NULL AND approved_at_ms IS NULL)),
        CONSTRAINT ck_staff_grants_revocation CHECK ((revoked_at_ms IS NULL) = (revoked_by IS NULL))
      )`);
    await q.query(`CREATE INDEX ix_staff_grants_staff ON staff_grants (tenant_id, staff_id, requested_at_ms DESC)`);
    await q.query(`
      CREATE TABLE retention_policies (
        tenant_id      text    NOT NULL,
        retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 3650),
        action         text    NOT NULL CHECK (action IN ('archive', 'delete')),
        updated_at_ms  bigint  NOT NULL,
        updated_by     text    NOT NULL,
        CONSTRAINT pk_retention_policies PRIMARY KEY (tenant_id)
      )`);

    // Append-only, for everyone: an UPDATE or DELETE needs the owner to disable the trigger first.
    await q.query(`
      CREATE FUNCTION lifecycle_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of APPEND_ONLY_TABLES) {
      await q.query(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
           FOR EACH ROW EXECUTE FUNCTION lifecycle_append_only()`,
      );
      await q.query(revokeFromNonOwners(table, 'UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'));
    }

    for (const table of TENANT_TABLES) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await q.query(
        `CREATE POLICY tenant_isolation ON ${table} AS PERMISSIVE FOR ALL TO PUBLIC
           USING (tenant_id = ${CURRENT_TENANT})
           WITH CHECK (tenant_id = ${CURRENT_TENANT})`,
      );
    }
    await q.query(revokeFromNonOwners(MIGRATIONS_TABLE, 'INSERT, UPDATE, DELETE, TRUNCATE'));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['retention_policies', 'staff_grants', 'deletion_certificates', 'audit_checkpoints', 'audit_events']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS lifecycle_append_only()`);
  }
}
