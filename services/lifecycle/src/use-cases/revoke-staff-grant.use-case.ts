import { failedPrecondition } from '@confide/platform';
import { grantStatus, requireId, type StaffGrantRecord } from '../domain/staff-grant';
import { GRANT_AUDIT_ACTIONS, StaffGrantUseCase } from './staff-grant.use-case-base';

export class RevokeStaffGrant extends StaffGrantUseCase {
  /** Idempotent: revoking a revoked grant returns it unchanged; a denied one cannot be revoked. */
  async execute(req: { tenantId?: string; grantId?: string; revokedBy?: string }): Promise<StaffGrantRecord> {
    const grant = await this.load(req.tenantId, req.grantId);
    const revoker = requireId('revoked_by', req.revokedBy);
    if (grant.revokedAtMs !== null) return grant;
    if (grant.deniedAtMs !== null) throw failedPrecondition('grant is denied');
    const now = this.deps.clock.now();
    const updated = await this.deps.grants.decide(grant.tenantId, grant.id, { kind: 'revoke', by: revoker, atMs: now });
    if (!updated) {
      const current = await this.load(grant.tenantId, grant.id);
      if (current.revokedAtMs !== null) return current;
      throw failedPrecondition(`grant is ${grantStatus(current, now)}`);
    }
    await this.audit(updated, revoker, GRANT_AUDIT_ACTIONS.revoke, now);
    return updated;
  }
}
