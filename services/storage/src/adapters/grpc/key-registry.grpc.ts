import {
  KeyRegistryServiceService,
  type DestroyDataKeyRequest,
  type DestroyDataKeyResponse,
  type GetDataKeyRequest,
  type GetDataKeyResponse,
  type GetOrCreateDataKeyRequest,
  type GetOrCreateDataKeyResponse,
  type GetTenantKeyStatusRequest,
  type GetTenantKeyStatusResponse,
  type KeyRegistryServiceServer,
  type RotateTenantKeyRequest,
  type RotateTenantKeyResponse,
} from '@confide/contracts';
import {
  AppError,
  authorizeRpc,
  fromPurpose,
  toStored,
  unaryHandler,
  type AuditedOperation,
  type AuthorizedUnaryContext,
  type GrpcServiceRegistration,
  type KeyPurpose,
  type Logger,
  type PolicyResource,
  type RpcAuthorizationDeps,
  type UnaryContext,
  refuseEveryCaller,
} from '@confide/platform';
import { requireId, requireMeetingRef } from '../../domain/identifiers';
import type { RotateTenantKey } from '../../use-cases/rotate-tenant-key.use-case';
import type { PostgresDataKeyRepository } from '../postgres/data-key.repository';

export const KEY_REGISTRY_SERVICE_NAME = 'confide.storage.v1.KeyRegistryService';

/** Audit-chain actions of the key operations (ids and key references only). */
export const KEY_DESTROY_ACTION = 'key:destroy';
export const TENANT_KEY_ROTATE_ACTION = 'tenant-key:rotate';
export const TENANT_KEY_REWRAP_ACTION = 'tenant-key:rewrap';

function refOf(req: { tenantId: string; meetingId: string; purpose: number }): { tenantId: string; meetingId: string; purpose: KeyPurpose } {
  const ref = requireMeetingRef(req);
  const purpose = fromPurpose(req.purpose);
  if (!purpose) throw new AppError('invalid-argument', 'purpose must be MEETING or AUDIO');
  return { ...ref, purpose };
}

/** Who acted, as the audit chain names it: `service:<name>` for a service, else the subject id. */
const actorOf = (s: { id: string; kind: string; service?: string }): string => (s.kind === 'service' && s.service ? `service:${s.service}` : s.id);

/** The tenant key a request names, as the policy's resource. */
const tenantKeyResource = (req: { tenantId: string }): Partial<PolicyResource> => ({ tenant: req.tenantId, kind: 'tenant-key' });

export interface KeyRegistryGrpcDeps {
  logger: Logger;
  keys: PostgresDataKeyRepository;
  /** Tenant-key rotation; without it (no KMS in this process) RotateTenantKey is FAILED_PRECONDITION. */
  rotation?: RotateTenantKey | undefined;
  /**
   * Caller authorization (ADR 0009), as StorageService: the data-key RPCs are service-only (the
   * caller's `rpc:` action), RotateTenantKey and GetTenantKeyStatus also decide the end user's
   * `tenant-key:rotate` / `settings:read` on the tenant. Without it every RPC is refused.
   */
  authorization?: RpcAuthorizationDeps | undefined;
}

/**
 * confide.storage.v1.KeyRegistryService over the `data_keys` table: the wrapped meeting and
 * audio keys, first writer wins, destruction with a tombstone. Never sees a plaintext key.
 * Every RPC is authorized first (authorizeRpc): no or an untrusted assertion ->
 * UNAUTHENTICATED, a refused decision -> PERMISSION_DENIED with a fixed message.
 */
export function keyRegistryGrpcService(deps: KeyRegistryGrpcDeps): GrpcServiceRegistration {
  const { logger, keys, rotation, authorization } = deps;
  if (!authorization) logger.warn('KeyRegistryService has no caller authorization configured: every RPC is refused');

  /**
   * Key operations into the tenant's audit chain through the same auditor as the decisions
   * (all-in-one: lifecycle's chain in-process; microservices: confide.audit.v1). Key references
   * only, never key material. Rejects when the entry cannot be recorded: the RPC then fails
   * (UNAVAILABLE) after the operation, and the caller's retry (idempotent) records it again.
   */
  const recordOperation = async (operation: AuditedOperation): Promise<void> => {
    const auditor = authorization?.auditor;
    if (auditor?.recordOperation) {
      try {
        await auditor.recordOperation(operation);
      } catch {
        throw new AppError('unavailable', 'the key operation could not be audited');
      }
      return;
    }
    logger.info({ audit: operation }, 'key operation (this auditor records no operations)');
  };

  const guarded = <Req, Res>(
    method: string,
    user: ((req: Req) => Partial<PolicyResource>) | undefined,
    fn: (req: Req, ctx: AuthorizedUnaryContext) => Promise<Res>,
  ): ((req: Req, ctx: UnaryContext) => Promise<Res>) => {
    if (!authorization) return refuseEveryCaller<Req, Res>();
    return authorizeRpc<Req, Res>(authorization, { method: `${KEY_REGISTRY_SERVICE_NAME}/${method}`, ...(user ? { user: { resource: user } } : {}) }, fn);
  };

  const implementation: KeyRegistryServiceServer = {
    // Service-only: the processes that seal and open payloads (services.rego, key_read_rpcs).
    getDataKey: unaryHandler<GetDataKeyRequest, GetDataKeyResponse>(logger, guarded('GetDataKey', undefined, async (req: GetDataKeyRequest) => {
      const { tenantId, meetingId, purpose } = refOf(req);
      const stored = await keys.get(tenantId, meetingId, purpose);
      const destroyedAt = stored?.state === 'erased' ? await keys.destroyedAt(tenantId, meetingId, purpose) : undefined;
      return { stored: toStored(stored, destroyedAt ?? 0) };
    })),
    getOrCreateDataKey: unaryHandler<GetOrCreateDataKeyRequest, GetOrCreateDataKeyResponse>(logger, guarded('GetOrCreateDataKey', undefined, async (req: GetOrCreateDataKeyRequest) => {
      const { tenantId, meetingId, purpose } = refOf(req);
      const candidate = req.candidate;
      if (!candidate?.wrapped || !candidate.keyName) throw new AppError('invalid-argument', 'candidate wrapped key is required');
      const stored = await keys.putIfAbsent(tenantId, meetingId, purpose, {
        keyName: candidate.keyName,
        wrapped: candidate.wrapped,
        keyVersion: candidate.keyVersion,
      });
      return { stored: toStored(stored) };
    })),
    // Service-only: transcription (audio key), lifecycle (erasure, audio-key deadline).
    // Every call is a chain entry `key:destroy` (success: the key is destroyed — tombstoned — as of
    // the entry, whether by this call or an earlier one), so a retry after a failed record records it.
    destroyDataKey: unaryHandler<DestroyDataKeyRequest, DestroyDataKeyResponse>(logger, guarded('DestroyDataKey', undefined, async (req: DestroyDataKeyRequest, ctx: AuthorizedUnaryContext) => {
      const { tenantId, meetingId, purpose } = refOf(req);
      const destroyed = await keys.destroy(tenantId, meetingId, purpose);
      logger.info({ tenantId, meetingId, purpose, destroyed }, 'data key destroyed');
      await recordOperation({ tenantId, actor: actorOf(ctx.caller), action: KEY_DESTROY_ACTION, resource: `meeting/${meetingId}/key/${purpose}`, outcome: 'success' });
      return { destroyed };
    })),
    // End-user actions through the gateway: tenant-key:rotate (owner/admin, MFA, audited).
    // The rotation and, when the background rewrap ends, its result are chain entries
    // (`tenant-key:rotate`, `tenant-key:rewrap` with the key version reached).
    rotateTenantKey: unaryHandler<RotateTenantKeyRequest, RotateTenantKeyResponse>(logger, guarded('RotateTenantKey', tenantKeyResource, async (req: RotateTenantKeyRequest, ctx: AuthorizedUnaryContext) => {
      const tenantId = requireId('tenant_id', req.tenantId);
      if (!rotation) throw new AppError('failed-precondition', 'this storage instance has no KMS to rotate keys with');
      const actor = actorOf(ctx.subject ?? ctx.caller);
      const { rewrap } = await rotation.rotate(tenantId);
      logger.info({ tenantId }, 'tenant key rotated; rewrap started');
      rewrap.then(
        (progress) =>
          recordOperation({
            tenantId,
            actor,
            action: TENANT_KEY_REWRAP_ACTION,
            resource: `tenant-key/${tenantId}@v${progress.keyVersion}`,
            outcome: 'success',
          }),
        () => recordOperation({ tenantId, actor, action: TENANT_KEY_REWRAP_ACTION, resource: `tenant-key/${tenantId}`, outcome: 'failure' }),
      ).catch(() => logger.warn({ tenantId }, 'the end of a tenant-key rewrap could not be audited'));
      await recordOperation({ tenantId, actor, action: TENANT_KEY_ROTATE_ACTION, resource: `tenant-key/${tenantId}`, outcome: 'success' });
      return { rewrapStarted: true };
    })),
    // settings:read on the tenant.
    getTenantKeyStatus: unaryHandler<GetTenantKeyStatusRequest, GetTenantKeyStatusResponse>(logger, guarded('GetTenantKeyStatus', tenantKeyResource, async (req: GetTenantKeyStatusRequest) => {
      const tenantId = requireId('tenant_id', req.tenantId);
      const counts = await keys.versionCounts(tenantId);
      const versions = Object.entries(counts)
        .map(([version, n]) => ({ keyVersion: Number(version), dataKeys: n }))
        .sort((a, b) => a.keyVersion - b.keyVersion);
      return { versions, rewrapRunning: rotation?.isRunning(tenantId) ?? false };
    })),
  };
  return { name: KEY_REGISTRY_SERVICE_NAME, definition: KeyRegistryServiceService, implementation };
}
