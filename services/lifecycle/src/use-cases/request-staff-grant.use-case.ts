import { parseGrantRequest, type GrantRequestInput, type StaffGrantRecord } from '../domain/staff-grant';
import { GRANT_AUDIT_ACTIONS, StaffGrantUseCase } from './staff-grant.use-case-base';

export class RequestStaffGrant extends StaffGrantUseCase {
  async execute(req: GrantRequestInput): Promise<StaffGrantRecord> {
    const valid = parseGrantRequest(req);
    const now = this.deps.clock.now();
    const grant: StaffGrantRecord = {
      id: this.deps.ids.newId(),
      tenantId: valid.tenantId,
      staffId: valid.staffId,
      reason: valid.reason,
      scope: valid.scope,
      meetingId: valid.meetingId,
      requestedAtMs: now,
      requestedDurationMs: valid.durationMs,
      approvedBy: null,
      approvedAtMs: null,
      deniedBy: null,
      deniedAtMs: null,
      revokedBy: null,
      revokedAtMs: null,
      expiresAtMs: null,
    };
    await this.deps.grants.insert(grant);
    await this.audit(grant, grant.staffId, GRANT_AUDIT_ACTIONS.request, now);
    return grant;
  }
}
