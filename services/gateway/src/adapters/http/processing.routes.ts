import { Router } from 'express';
import type { UserAction } from '@confide/platform';
import type { ProcessingPort } from '../../ports/processing.port';
import { authorize, targetTenant, tenantResource, type AccessControl } from './access-control';
import { callContext } from './request-context';

/** The policy action of the processing route (policies/authz/actions.rego). */
export const PROCESSING_ROUTE_ACTION: UserAction = 'settings:read';

/**
 * GET /api/tenant/processing: what processes the tenant's meetings — the transcription engine,
 * its language and where audio goes (e.g. "local": never leaves the cluster), the report engine
 * and the alert rules in force (ids, descriptions and kinds; never their phrases). Owners and
 * admins (settings:read); transcription and insights authorize the gateway and the user again.
 */
export function processingRoutes(deps: { processing: ProcessingPort; access: AccessControl }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const tenantId = targetTenant(req, res);
    await authorize(deps.access, res, PROCESSING_ROUTE_ACTION, tenantResource(tenantId, 'tenant-settings'));
    res.json(await deps.processing.describe(tenantId, callContext(res)));
  });
  return router;
}
