import { Router } from 'express';
import type { UserAction } from '@confide/platform';
import type { TenantKeysPort } from '../../ports/tenant-keys.port';
import { authorize, targetTenant, tenantResource, type AccessControl } from './access-control';
import { callContext } from './request-context';

/** The policy action of each tenant-key route (policies/authz/actions.rego). */
export const TENANT_KEY_ROUTE_ACTIONS = {
  rotate: 'tenant-key:rotate',
  status: 'settings:read',
} as const satisfies Record<string, UserAction>;

const tenantKeyResource = (tenant: string) => tenantResource(tenant, 'tenant-key');

/**
 * /api/tenant/keys (docs/adr/0010-key-hierarchy.md, "Rotation of a tenant key"):
 * - GET: data keys per version of the tenant key and whether a rewrap runs (settings:read).
 * - POST /rotate: adds a version to the tenant key; new data keys are wrapped under it at once
 *   and the existing ones are rewrapped in the background (202). Owners and admins with MFA;
 *   audited. Readers never wait: no ciphertext changes.
 * Storage authorizes both again (the gateway's `rpc:` action and the user's action).
 */
export function tenantKeysRoutes(deps: { keys: TenantKeysPort; access: AccessControl }): Router {
  const { keys, access } = deps;
  const router = Router();
  router.get('/', async (req, res) => {
    const tenantId = targetTenant(req, res);
    await authorize(access, res, TENANT_KEY_ROUTE_ACTIONS.status, tenantKeyResource(tenantId));
    const status = await keys.status(tenantId, callContext(res));
    res.json({ versions: status.versions.map((v) => ({ version: v.keyVersion, dataKeys: v.dataKeys })), rewrapRunning: status.rewrapRunning });
  });
  router.post('/rotate', async (req, res) => {
    const tenantId = targetTenant(req, res);
    await authorize(access, res, TENANT_KEY_ROUTE_ACTIONS.rotate, tenantKeyResource(tenantId));
    const r = await keys.rotate(tenantId, callContext(res));
    res.status(202).json({ rotated: true, rewrapStarted: r.rewrapStarted });
  });
  return router;
}
