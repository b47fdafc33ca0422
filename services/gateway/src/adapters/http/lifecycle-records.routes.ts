import { Router, type Request, type Response } from 'express';
import { invalidArgument, type UserAction } from '@confide/platform';
import { isWellFormedId, parseApproveBody, parseGrantRequestBody } from '../../domain/api-input';
import type { LifecycleRecordsPort } from '../../ports/lifecycle-records.port';
import { authorize, subjectOf, targetTenant, tenantResource, type AccessControl } from './access-control';
import { presentGrant, presentSigningKeys } from './records.presenter';
import { callContext } from './request-context';

/** The policy action of each route (policies/README.md). Deny is deciding a request: grant:approve. */
export const RECORD_ROUTE_ACTIONS = {
  requestGrant: 'grant:request',
  listGrants: 'grant:list',
  approveGrant: 'grant:approve',
  denyGrant: 'grant:approve',
  revokeGrant: 'grant:revoke',
  exportAudit: 'audit:export',
  certificate: 'certificate:read',
  signingKeys: 'certificate:read',
} as const satisfies Record<string, UserAction>;

/** Content type of the audit export: JSON Lines, each line canonical JSON (ADR 0011). */
export const AUDIT_EXPORT_CONTENT_TYPE = 'application/jsonl; charset=utf-8';

function unwrap<T>(parsed: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!parsed.ok) throw invalidArgument(parsed.message);
  return parsed.value;
}

function idParam(req: Request, what: string): string {
  const id = req.params.id;
  if (!isWellFormedId(id)) throw invalidArgument(`the ${what} id must be 1-128 characters of [A-Za-z0-9._:-]`);
  return id;
}


/**
 * /api/access-grants: staff request access (reason, scope) to a tenant or one meeting; the
 * tenant's owners/admins (MFA) approve, deny, revoke and list; staff list their own.
 * Every route is decided by the policy here, and again by lifecycle (ADR 0009).
 */
export function accessGrantsRoutes(deps: { records: LifecycleRecordsPort; access: AccessControl }): Router {
  const { records, access } = deps;
  const router = Router();

  router.post('/', async (req, res) => {
    const body = unwrap(parseGrantRequestBody(req.body));
    const tenantId = targetTenant(req, res, body.tenant);
    await authorize(
      access,
      res,
      RECORD_ROUTE_ACTIONS.requestGrant,
      { tenant: tenantId, owner: '', meeting: body.meetingId, kind: 'grants' },
      body.reason,
    );
    const grant = await records.requestGrant({ tenantId, reason: body.reason, scope: body.scope, meetingId: body.meetingId, durationMs: body.durationMs }, callContext(res));
    res.status(201).json(presentGrant(grant));
  });

  router.get('/', async (req, res) => {
    const subject = subjectOf(res);
    const tenantId = targetTenant(req, res);
    const requested = req.query.staffId;
    if (requested !== undefined && !isWellFormedId(requested)) throw invalidArgument('staffId must be 1-128 characters of [A-Za-z0-9._:-]');
    // Staff see only their own grants: the policy's resource owner is the staff member.
    const staff = subject.kind === 'staff';
    await authorize(access, res, RECORD_ROUTE_ACTIONS.listGrants, tenantResource(tenantId, 'grants', staff ? subject.id : ''));
    const staffId = staff ? subject.id : ((requested as string | undefined) ?? '');
    const grants = await records.listGrants({ tenantId, staffId }, callContext(res));
    res.json({ grants: grants.map(presentGrant) });
  });

  router.post('/:id/approve', async (req, res) => {
    const grantId = idParam(req, 'grant');
    const { durationMs } = unwrap(parseApproveBody(req.body));
    const tenantId = targetTenant(req, res);
    await authorize(access, res, RECORD_ROUTE_ACTIONS.approveGrant, tenantResource(tenantId, 'grants'));
    res.json(presentGrant(await records.approveGrant({ tenantId, grantId, durationMs }, callContext(res))));
  });

  router.post('/:id/deny', async (req, res) => {
    const grantId = idParam(req, 'grant');
    const tenantId = targetTenant(req, res);
    await authorize(access, res, RECORD_ROUTE_ACTIONS.denyGrant, tenantResource(tenantId, 'grants'));
    res.json(presentGrant(await records.denyGrant({ tenantId, grantId }, callContext(res))));
  });

  router.delete('/:id', async (req, res) => {
    const grantId = idParam(req, 'grant');
    const tenantId = targetTenant(req, res);
    await authorize(access, res, RECORD_ROUTE_ACTIONS.revokeGrant, tenantResource(tenantId, 'grants'));
    res.json(presentGrant(await records.revokeGrant({ tenantId, grantId }, callContext(res))));
  });

  return router;
}

/**
 * GET /api/audit/export: the tenant's hash-chained audit log as JSON Lines (owners, admins,
 * auditors; MFA). Streamed: errors before the first line are JSON errors as usual; a failure
 * afterwards aborts the response (a truncated export does not verify).
 */
export function auditRoutes(deps: { records: LifecycleRecordsPort; access: AccessControl }): Router {
  const { records, access } = deps;
  const router = Router();
  router.get('/export', async (req, res) => {
    const tenantId = targetTenant(req, res);
    await authorize(access, res, RECORD_ROUTE_ACTIONS.exportAudit, tenantResource(tenantId, 'audit-log'));
    const chunks = records.exportAuditLog(tenantId, callContext(res))[Symbol.asyncIterator]();
    const first = await chunks.next();
    res.status(200).type(AUDIT_EXPORT_CONTENT_TYPE);
    res.set('Content-Disposition', 'attachment; filename="audit-export.jsonl"');
    const write = (lines: string[]): Promise<void> =>
      new Promise((resolve) => {
        if (lines.length === 0 || res.write(`${lines.join('\n')}\n`)) resolve();
        else res.once('drain', () => resolve());
      });
    try {
      if (!first.done) await write(first.value);
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) await write(next.value);
      res.end();
    } catch {
      // Headers are gone: cut the connection so the client sees an incomplete export.
      res.destroy();
    }
  });
  return router;
}

/** GET /api/certificates/:id: the signed certificate, byte for byte as it was signed. */
export function certificatesRoutes(deps: { records: LifecycleRecordsPort; access: AccessControl }): Router {
  const { records, access } = deps;
  const router = Router();
  router.get('/:id', async (req, res) => {
    const certificateId = idParam(req, 'certificate');
    const tenantId = targetTenant(req, res);
    await authorize(access, res, RECORD_ROUTE_ACTIONS.certificate, tenantResource(tenantId, 'certificate'));
    const certificate = await records.getCertificate({ tenantId, certificateId }, callContext(res));
    res.status(200).type('application/json; charset=utf-8').send(certificate.document);
  });
  return router;
}

/** GET /api/signing-keys: every version of the ed25519 public key, for offline verification. */
export function signingKeysRoutes(deps: { records: LifecycleRecordsPort; access: AccessControl }): Router {
  const { records, access } = deps;
  const router = Router();
  router.get('/', async (req, res) => {
    const tenantId = targetTenant(req, res);
    await authorize(access, res, RECORD_ROUTE_ACTIONS.signingKeys, tenantResource(tenantId, 'signing-keys'));
    res.json(presentSigningKeys(await records.signingKeys(callContext(res))));
  });
  return router;
}

/** The newest certificate of an erased meeting, parsed, or null when none can be read. */
export async function latestCertificate(
  records: LifecycleRecordsPort,
  query: { tenantId: string; meetingId: string },
  res: Response,
): Promise<{ certificateId: string; certificate: unknown } | null> {
  try {
    const all = await records.listCertificates(query, callContext(res));
    const last = all[all.length - 1];
    return last ? { certificateId: last.certificateId, certificate: JSON.parse(last.document) as unknown } : null;
  } catch {
    // The erasure happened; the certificate stays readable at GET /api/certificates/:id.
    return null;
  }
}
