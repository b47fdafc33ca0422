import { failedPrecondition, invalidArgument } from '@confide/platform';
import { assertDecidable, expiryOnApproval, requireId, type StaffGrantRecord } from '../domain/staff-grant';
import { GRANT_AUDIT_ACTIONS, StaffGrantUseCase } from './staff-grant.use-case-base';

export class ApproveStaffGrant extends StaffGrantUseCase {
  /** `durationMs` may shorten what was requested, never lengthen it (and never past 72 h). */
  async execute(req: { tenantId?: string; grantId?: string; approvedBy?: string; durationMs?: number }): Promise<StaffGrantRecord> {
    const grant = await this.load(req.tenantId, req.grantId);
    const approver = requireId('approved_by', req.approvedBy);
    const now = this.deps.clock.now();
    assertDecidable(grant, approver, now);
    if (req.durationMs !== undefined && req.durationMs !== 0 && req.durationMs > grant.requestedDurationMs) {
      throw invalidArgument('duration must not exceed what was requested');
    }
    const expiresAtMs = expiryOnApproval(grant, now, req.durationMs);
    const updated = await this.deps.grants.decide(grant.tenantId, grant.id, { kind: 'approve', by: approver, atMs: now, expiresAtMs });
    if (!updated) throw failedPrecondition('grant was decided concurrently');
    await this.audit(updated, approver, GRANT_AUDIT_ACTIONS.approve, now);
    return updated;
  }
}
