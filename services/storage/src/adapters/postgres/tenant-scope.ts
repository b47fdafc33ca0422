import type { DataSource, EntityManager } from 'typeorm';

/** The setting the `tenant_isolation` row-level-security policies compare `tenant_id` with. */
export const TENANT_SETTING = 'app.tenant_id';

export type TransactionIsolation = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/**
 * The only way the repositories reach the tenant tables. `withTenant(tenantId, fn)` runs `fn`
 * in one transaction whose first statement is `SELECT set_config('app.tenant_id', $1, true)`:
 * transaction-local, so the setting ends with the commit or rollback and a pooled connection
 * never carries a tenant into its next use. Row-level security then confines every statement
 * of `fn` to that tenant's rows (reads, and writes through WITH CHECK), on top of the
 * `tenant_id` filters the queries keep.
 */
export class TenantScopedDatabase {
  constructor(private readonly dataSource: DataSource) {}

  withTenant<T>(tenantId: string, fn: (m: EntityManager) => Promise<T>, isolation?: TransactionIsolation): Promise<T> {
    // Ids are validated at the edges; an empty tenant here is a bug, never "all tenants".
    if (typeof tenantId !== 'string' || tenantId.length === 0) {
      return Promise.reject(new Error('withTenant needs a tenant id'));
    }
    const run = async (m: EntityManager): Promise<T> => {
      await m.query('SELECT set_config($1, $2, true)', [TENANT_SETTING, tenantId]);
      return fn(m);
    };
    return isolation ? this.dataSource.transaction(isolation, run) : this.dataSource.transaction(run);
  }
}
