import { systemClock, type Clock, type GrantStore, type StaffGrant } from '@confide/platform';
import { TenantScopedDatabase } from '@confide/storage-service';
import type { DataSource } from 'typeorm';
import { GRANT_REQUEST_TTL_MS, toPolicyGrant, type GrantScope, type StaffGrantRecord } from '../../domain/staff-grant';
import type { GrantDecision, StaffGrantRepository } from '../../ports/staff-grant.port';

interface GrantRow {
  tenant_id: string;
  grant_id: string;
  staff_id: string;
  reason: string;
  scope: string;
  meeting_id: string;
  requested_at_ms: string;
  requested_duration_ms: string;
  approved_by: string | null;
  approved_at_ms: string | null;
  denied_by: string | null;
  denied_at_ms: string | null;
  revoked_by: string | null;
  revoked_at_ms: string | null;
  expires_at_ms: string | null;
}

const COLUMNS =
  'tenant_id, grant_id, staff_id, reason, scope, meeting_id, requested_at_ms, requested_duration_ms, approved_by, approved_at_ms, denied_by, denied_at_ms, revoked_by, revoked_at_ms, expires_at_ms';

const num = (v: string | null): number | null => (v === null ? null : Number(v));

function toRecord(r: GrantRow): StaffGrantRecord {
  return {
    id: r.grant_id,
    tenantId: r.tenant_id,
    staffId: r.staff_id,
    reason: r.reason,
    scope: r.scope as GrantScope,
    meetingId: r.meeting_id,
    requestedAtMs: Number(r.requested_at_ms),
    requestedDurationMs: Number(r.requested_duration_ms),
    approvedBy: r.approved_by,
    approvedAtMs: num(r.approved_at_ms),
    deniedBy: r.denied_by,
    deniedAtMs: num(r.denied_at_ms),
    revokedBy: r.revoked_by,
    revokedAtMs: num(r.revoked_at_ms),
    expiresAtMs: num(r.expires_at_ms),
  };
}

/** Grants that ended (expired or revoked) longer ago than this are no longer offered to the policy. */
const POLICY_HISTORY_MS = 24 * 60 * 60 * 1000;

/**
 * `staff_grants` under RLS, and the platform `GrantStore` the policies consume: `grantsFor`
 * returns the tenant's grants as `StaffGrant`s — pending ones without approver, denied ones as
 * revoked — leaving out only those that can no longer matter (denied, stale requests, and grants
 * that ended more than a day ago), so the policy re-checks every property of what it gets.
 */
export class PostgresStaffGrantRepository implements StaffGrantRepository, GrantStore {
  private readonly db: TenantScopedDatabase;

  constructor(
    dataSource: DataSource,
    private readonly clock: Clock = systemClock,
  ) {
    this.db = new TenantScopedDatabase(dataSource);
  }

  insert(g: StaffGrantRecord): Promise<void> {
    return this.db.withTenant(g.tenantId, async (m) => {
      await m.query(
        `INSERT INTO staff_grants (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        [
          g.tenantId, g.id, g.staffId, g.reason, g.scope, g.meetingId, g.requestedAtMs, g.requestedDurationMs,
          g.approvedBy, g.approvedAtMs, g.deniedBy, g.deniedAtMs, g.revokedBy, g.revokedAtMs, g.expiresAtMs,
        ],
      );
    });
  }

  get(tenantId: string, grantId: string): Promise<StaffGrantRecord | undefined> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows = (await m.query(`SELECT ${COLUMNS} FROM staff_grants WHERE tenant_id = $1 AND grant_id = $2`, [tenantId, grantId])) as GrantRow[];
      return rows[0] ? toRecord(rows[0]) : undefined;
    });
  }

  decide(tenantId: string, grantId: string, d: GrantDecision): Promise<StaffGrantRecord | undefined> {
    let set: string;
    let guard: string;
    let params: unknown[];
    switch (d.kind) {
      case 'approve':
        set = 'approved_by = $3, approved_at_ms = $4, expires_at_ms = $5';
        guard = 'approved_at_ms IS NULL AND denied_at_ms IS NULL AND revoked_at_ms IS NULL';
        params = [d.by, d.atMs, d.expiresAtMs];
        break;
      case 'deny':
        set = 'denied_by = $3, denied_at_ms = $4';
        guard = 'approved_at_ms IS NULL AND denied_at_ms IS NULL AND revoked_at_ms IS NULL';
        params = [d.by, d.atMs];
        break;
      case 'revoke':
        set = 'revoked_by = $3, revoked_at_ms = $4';
        guard = 'denied_at_ms IS NULL AND revoked_at_ms IS NULL';
        params = [d.by, d.atMs];
        break;
    }
    return this.db.withTenant(tenantId, async (m) => {
      const result = (await m.query(
        `UPDATE staff_grants SET ${set} WHERE tenant_id = $1 AND grant_id = $2 AND ${guard} RETURNING ${COLUMNS}`,
        [tenantId, grantId, ...params],
      )) as [GrantRow[], number];
      const rows = result[0];
      return rows[0] ? toRecord(rows[0]) : undefined;
    });
  }

  list(tenantId: string, filter: { staffId?: string } = {}): Promise<StaffGrantRecord[]> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows = (filter.staffId
        ? await m.query(`SELECT ${COLUMNS} FROM staff_grants WHERE tenant_id = $1 AND staff_id = $2 ORDER BY requested_at_ms DESC, grant_id`, [tenantId, filter.staffId])
        : await m.query(`SELECT ${COLUMNS} FROM staff_grants WHERE tenant_id = $1 ORDER BY requested_at_ms DESC, grant_id`, [tenantId])) as GrantRow[];
      return rows.map(toRecord);
    });
  }

  async grantsFor(tenant: string): Promise<StaffGrant[]> {
    const now = this.clock.now();
    return this.db.withTenant(tenant, async (m) => {
      const rows = (await m.query(
        `SELECT ${COLUMNS} FROM staff_grants
          WHERE tenant_id = $1 AND denied_at_ms IS NULL
            AND (approved_at_ms IS NOT NULL OR requested_at_ms > $2)
            AND (expires_at_ms IS NULL OR expires_at_ms > $3)
            AND (revoked_at_ms IS NULL OR revoked_at_ms > $3)
          ORDER BY requested_at_ms DESC, grant_id`,
        [tenant, now - GRANT_REQUEST_TTL_MS, now - POLICY_HISTORY_MS],
      )) as GrantRow[];
      return rows.map((r) => toPolicyGrant(toRecord(r)));
    });
  }
}
