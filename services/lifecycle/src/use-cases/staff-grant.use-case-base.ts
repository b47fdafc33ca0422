import { notFound, type Clock, type IdGenerator } from '@confide/platform';
import { requireId, type StaffGrantRecord } from '../domain/staff-grant';
import type { AuditLog } from '../ports/audit-log.port';
import type { StaffGrantRepository } from '../ports/staff-grant.port';

export interface StaffGrantDeps {
  grants: StaffGrantRepository;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
}

export const GRANT_AUDIT_ACTIONS = {
  request: 'grant:request',
  approve: 'grant:approve',
  deny: 'grant:deny',
  revoke: 'grant:revoke',
} as const;

/**
 * Support-staff access grants (ARCHITECTURE.md promise 7): staff request access to a tenant or
 * one meeting with a reason; the tenant approves or denies (who may is the policy's call —
 * `grant:approve` for owner/admin — checked before these use cases run; they record who
 * decided); an approval is valid for at most 72 h; the tenant or the staff member may revoke it.
 * Every step is appended to the tenant's audit log (ids only; the reason stays in the grant).
 */
export abstract class StaffGrantUseCase {
  constructor(protected readonly deps: StaffGrantDeps) {}

  protected async load(tenantId: string | undefined, grantId: string | undefined): Promise<StaffGrantRecord> {
    const tenant = requireId('tenant_id', tenantId);
    const id = requireId('grant_id', grantId);
    const grant = await this.deps.grants.get(tenant, id);
    if (!grant) throw notFound('grant not found');
    return grant;
  }

  protected audit(grant: StaffGrantRecord, actor: string, action: string, atMs: number): Promise<void> {
    return this.deps.audit.append({
      tenantId: grant.tenantId,
      actor,
      action,
      resource: grant.scope === 'meeting' ? `grant/${grant.id}/meeting/${grant.meetingId}` : `grant/${grant.id}`,
      outcome: 'success',
      atMs,
      decision: 'allow',
      obligations: ['audit'],
    });
  }
}

