import {
  AccessGrantScope,
  AccessGrantServiceService,
  AccessGrantStatus,
  type AccessGrant,
  type AccessGrantServiceServer,
  type ApproveAccessGrantRequest,
  type ApproveAccessGrantResponse,
  type DenyAccessGrantRequest,
  type DenyAccessGrantResponse,
  type ListAccessGrantsRequest,
  type ListAccessGrantsResponse,
  type ListActiveGrantsForPolicyRequest,
  type ListActiveGrantsForPolicyResponse,
  type RequestAccessGrantRequest,
  type RequestAccessGrantResponse,
  type RevokeAccessGrantRequest,
  type RevokeAccessGrantResponse,
} from '@confide/contracts';
import { AppError, type Clock, type GrantStore, type GrpcServiceRegistration, type Logger, type RpcAuthorizationDeps } from '@confide/platform';
import { grantStatus, type GrantStatus, type StaffGrantRecord } from '../../domain/staff-grant';
import type { ApproveStaffGrant } from '../../use-cases/approve-staff-grant.use-case';
import type { DenyStaffGrant } from '../../use-cases/deny-staff-grant.use-case';
import type { ListStaffGrants } from '../../use-cases/list-staff-grants.use-case';
import type { RequestStaffGrant } from '../../use-cases/request-staff-grant.use-case';
import type { RevokeStaffGrant } from '../../use-cases/revoke-staff-grant.use-case';
import { decideForUser, endUser, guardedUnary } from './rpc-guard';

export const ACCESS_GRANT_SERVICE_NAME = 'confide.lifecycle.v1.AccessGrantService';

export interface AccessGrantGrpcDeps {
  logger: Logger;
  clock: Clock;
  request: RequestStaffGrant;
  approve: ApproveStaffGrant;
  deny: DenyStaffGrant;
  revoke: RevokeStaffGrant;
  list: ListStaffGrants;
  /**
   * The tenant's grants as the policy reads them (the PostgreSQL staff-grant store), served to
   * the gateway and storage of the microservices mode by ListActiveGrantsForPolicy. Without it
   * that RPC answers FAILED_PRECONDITION.
   */
  policyGrants?: GrantStore;
  /** As LifecycleService: without it every RPC is refused (UNAUTHENTICATED). */
  authorization?: RpcAuthorizationDeps;
}

const STATUS: Record<GrantStatus, AccessGrantStatus> = {
  pending: AccessGrantStatus.ACCESS_GRANT_STATUS_PENDING,
  approved: AccessGrantStatus.ACCESS_GRANT_STATUS_APPROVED,
  denied: AccessGrantStatus.ACCESS_GRANT_STATUS_DENIED,
  revoked: AccessGrantStatus.ACCESS_GRANT_STATUS_REVOKED,
  expired: AccessGrantStatus.ACCESS_GRANT_STATUS_EXPIRED,
};

export function toProtoGrant(g: StaffGrantRecord, nowMs: number): AccessGrant {
  return {
    grantId: g.id,
    tenantId: g.tenantId,
    staffId: g.staffId,
    reason: g.reason,
    scope: g.scope === 'meeting' ? AccessGrantScope.ACCESS_GRANT_SCOPE_MEETING : AccessGrantScope.ACCESS_GRANT_SCOPE_TENANT,
    meetingId: g.meetingId,
    requestedAtUnixMs: g.requestedAtMs,
    requestedDurationMs: g.requestedDurationMs,
    approvedBy: g.approvedBy ?? '',
    approvedAtUnixMs: g.approvedAtMs ?? 0,
    deniedBy: g.deniedBy ?? '',
    deniedAtUnixMs: g.deniedAtMs ?? 0,
    revokedBy: g.revokedBy ?? '',
    revokedAtUnixMs: g.revokedAtMs ?? 0,
    expiresAtUnixMs: g.expiresAtMs ?? 0,
    status: STATUS[grantStatus(g, nowMs)],
  };
}

function scopeOf(scope: AccessGrantScope): string {
  if (scope === AccessGrantScope.ACCESS_GRANT_SCOPE_TENANT) return 'tenant';
  if (scope === AccessGrantScope.ACCESS_GRANT_SCOPE_MEETING) return 'meeting';
  return '';
}

const tenantResource = (tenantId: string) => ({ tenant: tenantId, kind: 'grants' });

/**
 * confide.lifecycle.v1.AccessGrantService over the staff-grant use cases. Every RPC is
 * authorized (authorizeRpc: the gateway's `rpc:` action, then the end user's): a request is
 * `grant:request` with its reason (staff), approve and deny `grant:approve`, revoke
 * `grant:revoke` (owner/admin with MFA), list `grant:list` (owner/admin; staff only their own).
 * Who acted is always the assertion's end user, never a request field (`staff_id`,
 * `approved_by`, ... are ignored).
 */
export function accessGrantGrpcService(deps: AccessGrantGrpcDeps): GrpcServiceRegistration {
  const { logger, authorization, clock } = deps;
  const method = (name: string): string => `${ACCESS_GRANT_SERVICE_NAME}/${name}`;
  const present = (g: StaffGrantRecord): AccessGrant => toProtoGrant(g, clock.now());

  const implementation: AccessGrantServiceServer = {
    requestAccessGrant: guardedUnary<RequestAccessGrantRequest, RequestAccessGrantResponse>(
      logger,
      authorization,
      { method: method('RequestAccessGrant') },
      async (req, ctx) => {
        const subject = endUser(ctx);
        await decideForUser(
          authorization!,
          subject,
          'grant:request',
          { tenant: req.tenantId, meeting: req.meetingId, kind: 'grants' },
          req.reason,
        );
        const grant = await deps.request.execute({
          tenantId: req.tenantId,
          staffId: subject.id,
          reason: req.reason,
          scope: scopeOf(req.scope),
          meetingId: req.meetingId,
          durationMs: req.durationMs,
        });
        return { grant: present(grant) };
      },
    ),
    approveAccessGrant: guardedUnary<ApproveAccessGrantRequest, ApproveAccessGrantResponse>(
      logger,
      authorization,
      { method: method('ApproveAccessGrant'), user: { action: 'grant:approve', resource: (req) => tenantResource(req.tenantId) } },
      async (req, ctx) => {
        const grant = await deps.approve.execute({
          tenantId: req.tenantId,
          grantId: req.grantId,
          approvedBy: endUser(ctx).id,
          ...(req.durationMs ? { durationMs: req.durationMs } : {}),
        });
        return { grant: present(grant) };
      },
    ),
    denyAccessGrant: guardedUnary<DenyAccessGrantRequest, DenyAccessGrantResponse>(
      logger,
      authorization,
      // Deciding a request either way is the tenant's grant:approve.
      { method: method('DenyAccessGrant'), user: { action: 'grant:approve', resource: (req) => tenantResource(req.tenantId) } },
      async (req, ctx) => {
        const grant = await deps.deny.execute({ tenantId: req.tenantId, grantId: req.grantId, deniedBy: endUser(ctx).id });
        return { grant: present(grant) };
      },
    ),
    revokeAccessGrant: guardedUnary<RevokeAccessGrantRequest, RevokeAccessGrantResponse>(
      logger,
      authorization,
      { method: method('RevokeAccessGrant'), user: { action: 'grant:revoke', resource: (req) => tenantResource(req.tenantId) } },
      async (req, ctx) => {
        const grant = await deps.revoke.execute({ tenantId: req.tenantId, grantId: req.grantId, revokedBy: endUser(ctx).id });
        return { grant: present(grant) };
      },
    ),
    listAccessGrants: guardedUnary<ListAccessGrantsRequest, ListAccessGrantsResponse>(
      logger,
      authorization,
      { method: method('ListAccessGrants') },
      async (req, ctx) => {
        const subject = endUser(ctx);
        // Staff list only their own grants (resource.owner = their id); users the tenant's.
        const staffId = subject.kind === 'staff' ? subject.id : req.staffId;
        if (subject.kind === 'staff' && req.staffId && req.staffId !== subject.id) {
          throw new AppError('permission-denied', 'the call is not permitted');
        }
        await decideForUser(
          authorization!,
          subject,
          'grant:list',
          { tenant: req.tenantId, owner: subject.kind === 'staff' ? subject.id : '', kind: 'grants' },
          '',
        );
        const grants = await deps.list.execute({ tenantId: req.tenantId, ...(staffId ? { staffId } : {}) });
        return { grants: grants.map(present) };
      },
    ),
    // Service-only (policies/authz/services.rego: gateway, storage): no end user is decided here;
    // the caller decides the staff member's action with these grants, the policy re-checks each.
    listActiveGrantsForPolicy: guardedUnary<ListActiveGrantsForPolicyRequest, ListActiveGrantsForPolicyResponse>(
      logger,
      authorization,
      { method: method('ListActiveGrantsForPolicy') },
      async (req) => {
        if (!req.tenantId) throw new AppError('invalid-argument', 'tenant_id is required');
        if (!deps.policyGrants) throw new AppError('failed-precondition', 'this lifecycle instance has no grant store');
        const grants = await deps.policyGrants.grantsFor(req.tenantId);
        return {
          grants: grants.map((g) => ({
            grantId: g.id,
            tenantId: g.tenant,
            staffId: g.staff_id,
            scope: g.scope === 'meeting' ? AccessGrantScope.ACCESS_GRANT_SCOPE_MEETING : AccessGrantScope.ACCESS_GRANT_SCOPE_TENANT,
            meetingId: g.meeting,
            reason: g.reason,
            approvedBy: g.approved_by,
            approvedAtUnixMs: g.approved_at,
            expiresAtUnixMs: g.expires_at,
            revoked: g.revoked,
          })),
        };
      },
    ),
  };
  return { name: ACCESS_GRANT_SERVICE_NAME, definition: AccessGrantServiceService, implementation };
}
