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
  type AuthorizedUnaryContext,
  type GrpcServiceRegistration,
  type KeyPurpose,
  type Logger,
  type PolicyResource,
  type RpcAuthorizationDeps,
  type UnaryContext,
} from '@confide/platform';
import { requireId, requireMeetingRef } from '../../domain/identifiers';
import type { RotateTenantKey } from '../../use-cases/rotate-tenant-key.use-case';
import type { PostgresDataKeyRepository } from '../postgres/data-key.repository';

export const KEY_REGISTRY_SERVICE_NAME = 'confide.storage.v1.KeyRegistryService';

function refOf(req: { tenantId: string; meetingId: string; purpose: number }): { tenantId: string; meetingId: string; purpose: KeyPurpose } {
  const ref = requireMeetingRef(req);
  const purpose = fromPurpose(req.purpose);
  if (!purpose) throw new AppError('invalid-argument', 'purpose must be MEETING or AUDIO');
  return { ...ref, purpose };
}

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

  const guarded = <Req, Res>(
    method: string,
    user: ((req: Req) => Partial<PolicyResource>) | undefined,
    fn: (req: Req, ctx: AuthorizedUnaryContext) => Promise<Res>,
  ): ((req: Req, ctx: UnaryContext) => Promise<Res>) => {
    if (!authorization) {
      return async () => {
        throw new AppError('unauthenticated', 'the caller identity is missing or invalid');
      };
    }
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
    destroyDataKey: unaryHandler<DestroyDataKeyRequest, DestroyDataKeyResponse>(logger, guarded('DestroyDataKey', undefined, async (req: DestroyDataKeyRequest) => {
      const { tenantId, meetingId, purpose } = refOf(req);
      const destroyed = await keys.destroy(tenantId, meetingId, purpose);
      logger.info({ tenantId, meetingId, purpose, destroyed }, 'data key destroyed');
      return { destroyed };
    })),
    // End-user actions through the gateway: tenant-key:rotate (owner/admin, MFA, audited).
    rotateTenantKey: unaryHandler<RotateTenantKeyRequest, RotateTenantKeyResponse>(logger, guarded('RotateTenantKey', tenantKeyResource, async (req: RotateTenantKeyRequest) => {
      const tenantId = requireId('tenant_id', req.tenantId);
      if (!rotation) throw new AppError('failed-precondition', 'this storage instance has no KMS to rotate keys with');
      await rotation.rotate(tenantId);
      logger.info({ tenantId }, 'tenant key rotated; rewrap started');
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
