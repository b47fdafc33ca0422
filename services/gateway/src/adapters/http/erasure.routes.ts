import { Router, type Request } from 'express';
import {
  AuditDecision,
  AuditOutcome,
  RetentionAction,
  type AuditEventEntry,
  type EraseTenantResponse,
  type IssuedCertificate,
  type RetentionPolicy,
} from '@confide/contracts';
import { invalidArgument, type UserAction } from '@confide/platform';
import { isWellFormedId, parseAfterSeq, parseDeleteBody, parsePageSize, parseRetentionBody } from '../../domain/api-input';
import type { LifecyclePort } from '../../ports/lifecycle.port';
import type { LifecycleRecordsPort } from '../../ports/lifecycle-records.port';
import { authorize, targetTenant, tenantResource, type AccessControl } from './access-control';
import { callContext } from './request-context';

/**
 * The policy action of each erasure, restore, retention and audit-read route
 * (policies/authz/actions.rego). `meeting:restore` is new in the policy; platform's
 * UserAction union does not list it yet, hence the cast.
 */
export const ERASURE_ROUTE_ACTIONS = {
  eraseUserData: 'user-data:delete',
  eraseTenant: 'tenant-data:delete',
  restoreMeeting: 'meeting:restore',
  readRetention: 'settings:read',
  writeRetention: 'settings:write',
  readAudit: 'audit:read',
} as const satisfies Record<string, UserAction>;

function unwrap<T>(parsed: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!parsed.ok) throw invalidArgument(parsed.message);
  return parsed.value;
}

function idParam(req: Request, what: string): string {
  const id = req.params.id;
  if (!isWellFormedId(id)) throw invalidArgument(`the ${what} id must be 1-128 characters of [A-Za-z0-9._:-]`);
  return id;
}

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

/** The certificate as issued: its id and the signed document (parsed; verify the exact bytes at GET /api/certificates/:id). */
export function presentCertificate(c: IssuedCertificate | undefined): { certificateId: string | null; certificate: unknown } {
  if (!c) return { certificateId: null, certificate: null };
  return { certificateId: c.certificateId, certificate: JSON.parse(c.document) as unknown };
}

export function presentTenantErasure(r: EraseTenantResponse): Record<string, unknown> {
  return {
    tenantId: r.tenantId,
    erasureId: r.erasureId,
    cryptoErased: true,
    cryptoErasedAt: iso(r.cryptoErasedAtUnixMs),
    purge: r.purgeCompleted
      ? { status: 'completed', completedAt: iso(r.purgedAtUnixMs) }
      : {
          status: 'in-progress',
          completedAt: null,
          note: 'the tenant key is destroyed: nothing of the tenant can be decrypted anywhere. Rows are being purged in the background; repeat this request to resume the purge and receive the certificate.',
        },
    erased: r.erased ? { ...r.erased, dataKeys: r.dataKeys } : null,
    ...presentCertificate(r.certificate),
  };
}

export function presentRetention(p: RetentionPolicy): Record<string, unknown> {
  return {
    days: p.days,
    action: p.action === RetentionAction.RETENTION_ACTION_ARCHIVE ? 'archive' : 'delete',
    isDefault: p.isDefault,
    updatedAt: iso(p.updatedAtUnixMs),
    updatedBy: p.updatedBy || null,
  };
}

const OUTCOME: Record<number, string | null> = {
  [AuditOutcome.AUDIT_OUTCOME_SUCCESS]: 'success',
  [AuditOutcome.AUDIT_OUTCOME_NOT_FOUND]: 'not-found',
  [AuditOutcome.AUDIT_OUTCOME_FAILURE]: 'failure',
};

export function presentAuditEntry(e: AuditEventEntry): Record<string, unknown> {
  return {
    seq: e.seq,
    occurredAt: iso(e.occurredAtUnixMs),
    actor: e.actor,
    action: e.action,
    resource: e.resource,
    decision: e.decision === AuditDecision.AUDIT_DECISION_DENY ? 'deny' : 'allow',
    outcome: OUTCOME[e.outcome] ?? null,
    obligations: e.obligations,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}


/** DELETE /api/users/:id/data: one user's data erased (admins, owners; MFA), with its certificate. */
export function usersRoutes(deps: { lifecycle: LifecyclePort; access: AccessControl }): Router {
  const router = Router();
  router.delete('/:id/data', async (req, res) => {
    const userId = idParam(req, 'user');
    const { reason } = unwrap(parseDeleteBody(req.body));
    const tenantId = targetTenant(req, res);
    await authorize(deps.access, res, ERASURE_ROUTE_ACTIONS.eraseUserData, tenantResource(tenantId, 'user-data', userId));
    const r = await deps.lifecycle.eraseUserData({ tenantId, userId, reason }, callContext(res));
    res.json({
      userId: r.userId,
      meetingsAffected: r.meetingsAffected,
      erased: { segments: r.segments, alerts: r.alerts },
      purgedAt: iso(r.purgedAtUnixMs),
      ...presentCertificate(r.certificate),
    });
  });
  return router;
}

/**
 * /api/tenant: DELETE /data erases the whole tenant (owners; MFA) — the tenant key is destroyed
 * before the response; 200 with the certificate when the purge finished too, else 202 with
 * `purge.status: "in-progress"` (repeat the request to resume and get the certificate).
 * GET/PUT /retention: the tenant's retention policy (settings:read / settings:write).
 */
export function tenantRoutes(deps: { lifecycle: LifecyclePort; access: AccessControl }): Router {
  const { lifecycle, access } = deps;
  const router = Router();
  router.delete('/data', async (req, res) => {
    const { reason } = unwrap(parseDeleteBody(req.body));
    const tenantId = targetTenant(req, res);
    await authorize(access, res, ERASURE_ROUTE_ACTIONS.eraseTenant, tenantResource(tenantId, 'tenant'));
    const r = await lifecycle.eraseTenant({ tenantId, reason }, callContext(res));
    res.status(r.purgeCompleted ? 200 : 202).json(presentTenantErasure(r));
  });
  router.get('/retention', async (req, res) => {
    const tenantId = targetTenant(req, res);
    await authorize(access, res, ERASURE_ROUTE_ACTIONS.readRetention, tenantResource(tenantId, 'retention-policy'));
    res.json(presentRetention(await lifecycle.getRetentionPolicy(tenantId, callContext(res))));
  });
  router.put('/retention', async (req, res) => {
    const body = unwrap(parseRetentionBody(req.body));
    const tenantId = targetTenant(req, res);
    await authorize(access, res, ERASURE_ROUTE_ACTIONS.writeRetention, tenantResource(tenantId, 'retention-policy'));
    res.json(presentRetention(await lifecycle.setRetentionPolicy({ tenantId, ...body }, callContext(res))));
  });
  return router;
}

/** GET /api/audit: a page of the tenant's audit entries (auditors, admins, owners); ids and decisions only. */
export function auditEntriesRoute(deps: { records: LifecycleRecordsPort; access: AccessControl }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const pageSize = unwrap(parsePageSize(req.query.pageSize));
    const afterSeq = unwrap(parseAfterSeq(req.query.after));
    const tenantId = targetTenant(req, res);
    await authorize(deps.access, res, ERASURE_ROUTE_ACTIONS.readAudit, tenantResource(tenantId, 'audit-log'));
    const page = await deps.records.listAuditEvents({ tenantId, afterSeq, pageSize }, callContext(res));
    res.json({ entries: page.events.map(presentAuditEntry), nextAfter: page.nextAfterSeq || null });
  });
  return router;
}
