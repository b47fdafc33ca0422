import { TenantScopedDatabase } from '@confide/storage-service';
import type { DataSource } from 'typeorm';
import { defaultRetentionPolicy, parseRetention, type RetentionAction, type RetentionPolicy } from '../../domain/retention-policy';
import type { RetentionPolicyRepository } from '../../ports/retention-policy.port';

interface PolicyRow {
  tenant_id: string;
  retention_days: number;
  action: string;
  updated_at_ms: string;
  updated_by: string;
}

const toPolicy = (r: PolicyRow): RetentionPolicy => ({
  tenantId: r.tenant_id,
  days: Number(r.retention_days),
  action: r.action as RetentionAction,
  isDefault: false,
  updatedAtMs: Number(r.updated_at_ms),
  updatedBy: r.updated_by,
});

/** `retention_policies` under RLS; a tenant without a row has the default (90 days, delete). */
export class PostgresRetentionPolicyRepository implements RetentionPolicyRepository {
  private readonly db: TenantScopedDatabase;

  constructor(dataSource: DataSource) {
    this.db = new TenantScopedDatabase(dataSource);
  }

  get(tenantId: string): Promise<RetentionPolicy> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows = (await m.query('SELECT tenant_id, retention_days, action, updated_at_ms, updated_by FROM retention_policies WHERE tenant_id = $1', [tenantId])) as PolicyRow[];
      return rows[0] ? toPolicy(rows[0]) : defaultRetentionPolicy(tenantId);
    });
  }

  async set(tenantId: string, policy: { days: number; action: RetentionAction }, by: { actor: string; atMs: number }): Promise<RetentionPolicy> {
    const valid = parseRetention(policy);
    return this.db.withTenant(tenantId, async (m) => {
      const rows = (await m.query(
        `INSERT INTO retention_policies (tenant_id, retention_days, action, updated_at_ms, updated_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id) DO UPDATE SET retention_days = EXCLUDED.retention_days, action = EXCLUDED.action,
           updated_at_ms = EXCLUDED.updated_at_ms, updated_by = EXCLUDED.updated_by
         RETURNING tenant_id, retention_days, action, updated_at_ms, updated_by`,
        [tenantId, valid.days, valid.action, by.atMs, by.actor],
      )) as PolicyRow[];
      return toPolicy(rows[0]!);
    });
  }

  reset(tenantId: string): Promise<boolean> {
    return this.db.withTenant(tenantId, async (m) => {
      const result = (await m.query('DELETE FROM retention_policies WHERE tenant_id = $1', [tenantId])) as [unknown[], number];
      return result[1] > 0;
    });
  }
}
