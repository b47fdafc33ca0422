import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError, buildPolicyInput, enforceDecision, toPolicySubject, type PolicyResource, type UserAction } from '@confide/platform';
import { isWellFormedId } from '../../domain/api-input';
import type { Authenticator, Clock, DecisionAuditor, GrantStore, PolicyDecider, Subject, SubjectAssertionSigner } from '../../ports/access.port';
import { AccessDeniedError } from './access-denied.error';
import { sendError } from './http-errors';

export const WWW_AUTHENTICATE = 'WWW-Authenticate';
export const AUTH_REALM = 'confide';
/** Staff only: the tenant whose grant they act under (users always act in their token's tenant). */
export const TARGET_TENANT_HEADER = 'X-Confide-Tenant';

export interface AccessControl {
  evaluator: PolicyDecider;
  auditor: DecisionAuditor;
  grants: GrantStore;
  clock: Clock;
}

/**
 * Bearer JWT authentication: 401 `unauthenticated` with `WWW-Authenticate: Bearer` when the
 * token is missing, malformed or fails verification. On success `res.locals.subject` is the
 * Subject and, with a signer, `res.locals.subjectAssertion` the assertion for the peers.
 */
export function authenticate(authenticator: Authenticator, signer?: SubjectAssertionSigner): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('Authorization');
    const match = header ? /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/.exec(header) : null;
    if (!header) {
      res.set(WWW_AUTHENTICATE, `Bearer realm="${AUTH_REALM}"`);
      sendError(res, 401, 'unauthenticated', 'a bearer token is required');
      return;
    }
    let subject: Subject | undefined;
    if (match) {
      try {
        subject = await authenticator.authenticate(match[1]);
      } catch (err) {
        if (!(err instanceof AppError && err.kind === 'unauthenticated')) {
          next(err);
          return;
        }
      }
    }
    if (!subject) {
      res.set(WWW_AUTHENTICATE, `Bearer realm="${AUTH_REALM}", error="invalid_token"`);
      sendError(res, 401, 'unauthenticated', 'the bearer token is invalid or expired');
      return;
    }
    res.locals.subject = subject;
    try {
      if (signer) res.locals.subjectAssertion = await signer.sign(subject);
    } catch (err) {
      next(err);
      return;
    }
    next();
  };
}

export function subjectOf(res: Response): Subject {
  return res.locals.subject as Subject;
}

/**
 * The tenant a request acts in: a user's own tenant (from the token, never from a header);
 * for staff the `X-Confide-Tenant` header or `named` (a body field; 400 if absent, malformed
 * or different from the header) — the policy then requires an active grant of that tenant.
 */
export function targetTenant(req: Request, res: Response, named?: string): string {
  const subject = subjectOf(res);
  if (subject.kind !== 'staff') return subject.tenant;
  const header = req.get(TARGET_TENANT_HEADER);
  if (named !== undefined && header !== undefined && header !== named) {
    throw new AppError('invalid-argument', `the tenant in the body and in ${TARGET_TENANT_HEADER} differ`);
  }
  const tenant = named ?? header;
  if (!tenant || !isWellFormedId(tenant)) {
    throw new AppError('invalid-argument', `staff must name the tenant in the ${TARGET_TENANT_HEADER} header (1-128 characters of [A-Za-z0-9._:-])`);
  }
  return tenant;
}

/** A tenant-level resource of the policy (no meeting): settings, the tenant key, the audit log, grants. */
export const tenantResource = (tenant: string, kind: string, owner = '') => ({ tenant, owner, meeting: '', kind });

/**
 * Decides `action` on `resource` for the request's subject with the clock's time and, for
 * staff, the tenant's grants; honours the obligations (audit). Throws AccessDeniedError on a
 * deny and 'unavailable' when the access could not be audited: the route never proceeds.
 */
export async function authorize(
  access: AccessControl,
  res: Response,
  action: UserAction,
  resource: PolicyResource,
  /** `context.reason` (grant:request needs one). */
  reason?: string,
): Promise<void> {
  const subject = subjectOf(res);
  const grants = subject.kind === 'staff' && resource.tenant !== '' ? await access.grants.grantsFor(resource.tenant) : [];
  const input = buildPolicyInput({
    subject: toPolicySubject(subject),
    action,
    resource,
    now: access.clock.now(),
    grants,
    ...(reason !== undefined ? { reason } : {}),
  });
  const result = await enforceDecision(access.evaluator, access.auditor, input);
  if (result.allowed) return;
  if (result.refusal === 'audit-failed') throw new AppError('unavailable', 'the access could not be recorded; retry later');
  throw new AccessDeniedError();
}
