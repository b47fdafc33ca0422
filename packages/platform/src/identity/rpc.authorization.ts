import { AppError } from '../errors/app-error';
import { markCallerChecked } from '../grpc/caller-check';
import type { UnaryContext } from '../grpc/unary.handler';
import { systemClock, type Clock } from '../runtime/clock';
import { enforceDecision, type DecisionAuditor } from '../policy/decision.auditor';
import type { GrantStore } from '../policy/grant.store';
import type { PolicyDecider } from '../policy/policy.evaluator';
import { buildPolicyInput, rpcAction, type PolicyResource, type UserAction } from '../policy/policy.types';
import { SUBJECT_ASSERTION_METADATA, type SubjectAssertionVerifier } from './subject.assertion';
import { toPolicySubject, type Subject } from './subject';

/**
 * The end-user action behind each RPC a service may serve for another (policies/README.md,
 * "Services"): the callee checks both the caller's `rpc:` action and this one.
 * PurgeMeeting is service-only (lifecycle's retention/erasure, no end user).
 */
export const RPC_USER_ACTIONS: Readonly<Record<string, UserAction>> = {
  'confide.storage.v1.StorageService/ListMeetings': 'meeting:list',
  'confide.storage.v1.StorageService/GetMeeting': 'meeting:read',
  'confide.storage.v1.StorageService/GetTranscript': 'transcript:read',
  'confide.storage.v1.StorageService/ListAlerts': 'alerts:read',
  'confide.storage.v1.StorageService/GetReport': 'report:read',
  'confide.lifecycle.v1.LifecycleService/DeleteMeeting': 'meeting:delete',
  // Tenant-key rotation and its status (storage's KeyRegistryService, through the gateway).
  'confide.storage.v1.KeyRegistryService/RotateTenantKey': 'tenant-key:rotate',
  'confide.storage.v1.KeyRegistryService/GetTenantKeyStatus': 'settings:read',
  // What processes the tenant's meetings (gateway GET /api/tenant/processing): settings reads.
  'confide.insights.v1.InsightsService/ListAlertRules': 'settings:read',
  'confide.transcription.v1.TranscriptionService/DescribeEngine': 'settings:read',
};

export interface RpcAuthorizationDeps {
  evaluator: PolicyDecider;
  verifier: SubjectAssertionVerifier;
  auditor: DecisionAuditor;
  clock?: Clock;
  /** Staff grants for end-user checks of staff subjects; none without it. */
  grants?: GrantStore;
}

export interface RpcAuthorizationSpec<Req> {
  /** "confide.storage.v1.StorageService/GetMeeting" (a leading "/" is accepted). */
  method: string;
  /**
   * The end-user check, if the RPC acts for a user: the action (default RPC_USER_ACTIONS)
   * and the resource from the request (tenant, owner, meeting) — or from the verified end user,
   * for RPCs about the caller's own tenant that name none. Omit for service-only RPCs.
   */
  user?: { action?: UserAction; resource: (req: Req, subject: Subject) => Partial<PolicyResource> | Promise<Partial<PolicyResource>> };
}

export interface AuthorizedUnaryContext extends UnaryContext {
  caller: Subject;
  subject?: Subject;
}

/**
 * The error an RPC answers when an enforced decision refused it: UNAVAILABLE when it could not be
 * audited (fail closed), else PERMISSION_DENIED with a fixed message that reveals nothing.
 */
export function refuseAccess(refusal: string | undefined): never {
  if (refusal === 'audit-failed') throw new AppError('unavailable', 'the access could not be audited');
  throw new AppError('permission-denied', 'the call is not permitted');
}

/**
 * Wraps a use case for `unaryHandler`: verifies the `x-confide-subject` assertion, then
 * enforces the caller service's `rpc:<method>` decision and, for RPCs acting for a user,
 * the user's decision on the resource. Missing/invalid assertion -> UNAUTHENTICATED;
 * deny -> PERMISSION_DENIED; audit failure -> UNAVAILABLE (never served).
 *
 *   server.add({ ..., implementation: { getMeeting: unaryHandler(logger, authorizeRpc(deps,
 *     { method: 'confide.storage.v1.StorageService/GetMeeting', user: { resource: (r) => ({ tenant: r.tenantId, meeting: r.meetingId, kind: 'meeting' }) } },
 *     (req, ctx) => getMeeting(req, ctx))) } })
 */
export function authorizeRpc<Req, Res>(
  deps: RpcAuthorizationDeps,
  spec: RpcAuthorizationSpec<Req>,
  fn: (req: Req, ctx: AuthorizedUnaryContext) => Promise<Res>,
): (req: Req, ctx: UnaryContext) => Promise<Res> {
  const method = spec.method.replace(/^\//, '');
  const userAction = spec.user ? (spec.user.action ?? RPC_USER_ACTIONS[method]) : undefined;
  if (spec.user && !userAction) throw new AppError('invalid-argument', `no end-user action for ${method}`);
  const clock = deps.clock ?? systemClock;
  return markCallerChecked(async (req: Req, ctx: UnaryContext): Promise<Res> => {
    const values = ctx.metadata.get(SUBJECT_ASSERTION_METADATA);
    const token = values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
    const { caller, subject } = await deps.verifier.verify(token);
    const rpc = await enforceDecision(
      deps.evaluator,
      deps.auditor,
      buildPolicyInput({ subject: toPolicySubject(caller), action: rpcAction(method), resource: { kind: 'rpc' }, now: clock.now() }),
    );
    if (!rpc.allowed) refuseAccess(rpc.refusal);
    if (spec.user && userAction) {
      if (!subject) throw new AppError('permission-denied', 'the call is not permitted');
      const resource = await spec.user.resource(req, subject);
      const grants = subject.kind === 'staff' && deps.grants && resource.tenant ? await deps.grants.grantsFor(resource.tenant) : [];
      const user = await enforceDecision(
        deps.evaluator,
        deps.auditor,
        buildPolicyInput({ subject: toPolicySubject(subject), action: userAction, resource, now: clock.now(), grants }),
      );
      if (!user.allowed) refuseAccess(user.refusal);
    }
    return fn(req, { ...ctx, caller, ...(subject ? { subject } : {}) });
  });
}

/**
 * The handler of an RPC whose service was built without authorization: it refuses every call
 * (UNAUTHENTICATED), so a composition that forgets the authorization serves nothing. Marked as
 * a caller check (caller-check.ts).
 */
export function refuseEveryCaller<Req, Res>(): (req: Req, ctx: UnaryContext) => Promise<Res> {
  return markCallerChecked(async (): Promise<Res> => {
    throw new AppError('unauthenticated', 'the caller identity is missing or invalid');
  });
}
