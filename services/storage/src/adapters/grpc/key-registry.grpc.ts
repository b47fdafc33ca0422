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
import { AppError, fromPurpose, toStored, unaryHandler, type GrpcServiceRegistration, type KeyPurpose, type Logger } from '@confide/platform';
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

/**
 * confide.storage.v1.KeyRegistryService over the `data_keys` table: the wrapped meeting and
 * audio keys, first writer wins, destruction with a tombstone. Never sees a plaintext key.
 */
export function keyRegistryGrpcService(deps: {
  logger: Logger;
  keys: PostgresDataKeyRepository;
  /** Tenant-key rotation; without it (no KMS in this process) RotateTenantKey is FAILED_PRECONDITION. */
  rotation?: RotateTenantKey | undefined;
}): GrpcServiceRegistration {
  const { logger, keys, rotation } = deps;
  const implementation: KeyRegistryServiceServer = {
    getDataKey: unaryHandler<GetDataKeyRequest, GetDataKeyResponse>(logger, async (req) => {
      const { tenantId, meetingId, purpose } = refOf(req);
      const stored = await keys.get(tenantId, meetingId, purpose);
      const destroyedAt = stored?.state === 'erased' ? await keys.destroyedAt(tenantId, meetingId, purpose) : undefined;
      return { stored: toStored(stored, destroyedAt ?? 0) };
    }),
    getOrCreateDataKey: unaryHandler<GetOrCreateDataKeyRequest, GetOrCreateDataKeyResponse>(logger, async (req) => {
      const { tenantId, meetingId, purpose } = refOf(req);
      const candidate = req.candidate;
      if (!candidate?.wrapped || !candidate.keyName) throw new AppError('invalid-argument', 'candidate wrapped key is required');
      const stored = await keys.putIfAbsent(tenantId, meetingId, purpose, {
        keyName: candidate.keyName,
        wrapped: candidate.wrapped,
        keyVersion: candidate.keyVersion,
      });
      return { stored: toStored(stored) };
    }),
    destroyDataKey: unaryHandler<DestroyDataKeyRequest, DestroyDataKeyResponse>(logger, async (req) => {
      const { tenantId, meetingId, purpose } = refOf(req);
      const destroyed = await keys.destroy(tenantId, meetingId, purpose);
      logger.info({ tenantId, meetingId, purpose, destroyed }, 'data key destroyed');
      return { destroyed };
    }),
    rotateTenantKey: unaryHandler<RotateTenantKeyRequest, RotateTenantKeyResponse>(logger, async (req) => {
      const tenantId = requireId('tenant_id', req.tenantId);
      if (!rotation) throw new AppError('failed-precondition', 'this storage instance has no KMS to rotate keys with');
      await rotation.rotate(tenantId);
      logger.info({ tenantId }, 'tenant key rotated; rewrap started');
      return { rewrapStarted: true };
    }),
    getTenantKeyStatus: unaryHandler<GetTenantKeyStatusRequest, GetTenantKeyStatusResponse>(logger, async (req) => {
      const tenantId = requireId('tenant_id', req.tenantId);
      const counts = await keys.versionCounts(tenantId);
      const versions = Object.entries(counts)
        .map(([version, n]) => ({ keyVersion: Number(version), dataKeys: n }))
        .sort((a, b) => a.keyVersion - b.keyVersion);
      return { versions, rewrapRunning: rotation?.isRunning(tenantId) ?? false };
    }),
  };
  return { name: KEY_REGISTRY_SERVICE_NAME, definition: KeyRegistryServiceService, implementation };
}
