import { requireId, type StaffGrantRecord } from '../domain/staff-grant';
import type { StaffGrantDeps } from './staff-grant.use-case-base';

export class ListStaffGrants {
  constructor(private readonly deps: Pick<StaffGrantDeps, 'grants'>) {}

  async execute(req: { tenantId?: string; staffId?: string }): Promise<StaffGrantRecord[]> {
    const tenant = requireId('tenant_id', req.tenantId);
    return this.deps.grants.list(tenant, req.staffId ? { staffId: requireId('staff_id', req.staffId) } : {});
  }
}
