import type { StorageMaintenance } from '../ports/storage-maintenance.port';

/**
 * Every tenant storage knows, page by page (`pageSize` per ListTenants call, in id order),
 * until the last page or `signal` aborts. What the leader's sweeps iterate over.
 */
export async function* allTenants(
  storage: Pick<StorageMaintenance, 'listTenants'>,
  pageSize: number,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  let after = '';
  for (;;) {
    if (signal?.aborted) return;
    const tenants = await storage.listTenants(after, pageSize);
    for (const tenantId of tenants) {
      if (signal?.aborted) return;
      yield tenantId;
    }
    if (tenants.length < pageSize) return;
    after = tenants[tenants.length - 1]!;
  }
}
