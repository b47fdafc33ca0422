import { failedPrecondition } from '@confide/platform';
import { assertDecidable, requireId, type StaffGrantRecord } from '../domain/staff-grant';
import { GRANT_AUDIT_ACTIONS, StaffGrantUseCase } from './staff-grant.use-case-base';

export class DenyStaffGrant extends StaffGrantUseCase {
  async execute(req: { tenantId?: string; grantId?: string; deniedBy?: string }): Promise<StaffGrantRecord> {
    const grant = await this.load(req.tenantId, req.grantId);
    const denier = requireId('denied_by', req.deniedBy);
    const now = this.deps.clock.now();
    assertDecidable(grant, denier, now);
    const updated = await this.deps.grants.decide(grant.tenantId, grant.id, { kind: 'deny', by: denier, atMs: now });
    if (!updated) throw failedPrecondition('grant was decided concurrently');
    await this.audit(updated, denier, GRANT_AUDIT_ACTIONS.deny, now);
    return updated;
  }
}
