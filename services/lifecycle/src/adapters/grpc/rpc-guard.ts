import {
  AppError,
  authorizeRpc,
  buildPolicyInput,
  enforceDecision,
  refuseAccess,
  refuseEveryCaller,
  toPolicySubject,
  unaryHandler,
  type AuthorizedUnaryContext,
  type Logger,
  type PolicyResource,
  type RpcAuthorizationDeps,
  type RpcAuthorizationSpec,
  type Subject,
  type UserAction,
} from '@confide/platform';
import type * as grpc from '@grpc/grpc-js';


/**
 * A unary handler behind `authorizeRpc` (ADR 0009): the caller service's `rpc:` action and,
 * with `spec.user`, the end user's action on the request's resource. Without authorization
 * every call is refused (UNAUTHENTICATED): fail closed.
 */
export function guardedUnary<Req, Res>(
  logger: Logger,
  authorization: RpcAuthorizationDeps | undefined,
  spec: RpcAuthorizationSpec<Req>,
  fn: (req: Req, ctx: AuthorizedUnaryContext) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return unaryHandler<Req, Res>(logger, authorization ? authorizeRpc(authorization, spec, fn) : refuseEveryCaller<Req, Res>());
}

/** The end user of an authorized call; RPCs acting for a user refuse a call without one. */
export function endUser(ctx: AuthorizedUnaryContext): Subject {
  if (!ctx.subject) throw new AppError('permission-denied', 'the call is not permitted');
  return ctx.subject;
}

/**
 * The end user's decision where `authorizeRpc` cannot express it: with `context.reason`
 * (grant:request needs one). Same refusals as authorizeRpc: PERMISSION_DENIED with a fixed
 * message, UNAVAILABLE when the decision could not be audited.
 */
export async function decideForUser(
  authorization: RpcAuthorizationDeps,
  subject: Subject,
  action: UserAction,
  resource: Partial<PolicyResource>,
  reason: string,
): Promise<void> {
  const now = (authorization.clock ?? { now: () => Date.now() }).now();
  const grants = subject.kind === 'staff' && authorization.grants && resource.tenant ? await authorization.grants.grantsFor(resource.tenant) : [];
  const result = await enforceDecision(
    authorization.evaluator,
    authorization.auditor,
    buildPolicyInput({ subject: toPolicySubject(subject), action, resource, now, grants, reason }),
  );
  if (!result.allowed) refuseAccess(result.refusal);
}
