import {
  StorageMaintenanceServiceService,
  type ArchiveMeetingRequest,
  type ArchiveMeetingResponse,
  type ListAudioKeysDueRequest,
  type ListAudioKeysDueResponse,
  type ListExpiredMeetingsRequest,
  type ListExpiredMeetingsResponse,
  type ListTenantsRequest,
  type ListTenantsResponse,
  type PurgeParticipantRequest,
  type PurgeParticipantResponse,
  type PurgeTenantRequest,
  type PurgeTenantResponse,
  type RestoreMeetingRequest,
  type RestoreMeetingResponse,
  type StorageMaintenanceServiceServer,
} from '@confide/contracts';
import {
  authorizeRpc,
  unaryHandler,
  type AuthorizedUnaryContext,
  type GrpcServiceRegistration,
  type Logger,
  type RpcAuthorizationDeps,
  type UnaryContext,
  refuseEveryCaller,
} from '@confide/platform';
import type { MaintainMeetings } from '../../use-cases/maintain-meetings.use-case';

export const STORAGE_MAINTENANCE_SERVICE_NAME = 'confide.storage.v1.StorageMaintenanceService';

export interface StorageMaintenanceGrpcDeps {
  logger: Logger;
  maintenance: MaintainMeetings;
  /** As StorageService: subject assertion + policy per RPC (service-only). Without it every RPC is refused. */
  authorization?: RpcAuthorizationDeps;
}

/**
 * confide.storage.v1.StorageMaintenanceService: service-only RPCs for lifecycle (retention,
 * audio-key deadline, tenant and participant erasure). Authorized per RPC like StorageService
 * (no end user: the policy's service rules decide, `policies/authz/services.rego`).
 */
export function storageMaintenanceGrpcService(deps: StorageMaintenanceGrpcDeps): GrpcServiceRegistration {
  const { logger, maintenance, authorization } = deps;
  if (!authorization) logger.warn('StorageMaintenanceService has no caller authorization configured: every RPC is refused');

  const guarded = <Req, Res>(method: string, fn: (req: Req, ctx: AuthorizedUnaryContext) => Promise<Res>): ((req: Req, ctx: UnaryContext) => Promise<Res>) => {
    if (!authorization) return refuseEveryCaller<Req, Res>();
    return authorizeRpc<Req, Res>(authorization, { method: `${STORAGE_MAINTENANCE_SERVICE_NAME}/${method}` }, fn);
  };

  const implementation: StorageMaintenanceServiceServer = {
    listTenants: unaryHandler<ListTenantsRequest, ListTenantsResponse>(
      logger,
      guarded('ListTenants', async (req: ListTenantsRequest) => ({ tenantIds: await maintenance.listTenants(req) })),
    ),
    listExpiredMeetings: unaryHandler<ListExpiredMeetingsRequest, ListExpiredMeetingsResponse>(
      logger,
      guarded('ListExpiredMeetings', async (req: ListExpiredMeetingsRequest) => ({
        meetings: (await maintenance.listExpired(req)).map((m) => ({
          meetingId: m.meetingId,
          endedAtUnixMs: m.endedAtMs,
          archivedAtUnixMs: m.archivedAtMs ?? 0,
        })),
      })),
    ),
    listAudioKeysDue: unaryHandler<ListAudioKeysDueRequest, ListAudioKeysDueResponse>(
      logger,
      guarded('ListAudioKeysDue', async (req: ListAudioKeysDueRequest) => ({ meetingIds: await maintenance.listAudioKeysDue(req) })),
    ),
    archiveMeeting: unaryHandler<ArchiveMeetingRequest, ArchiveMeetingResponse>(
      logger,
      guarded('ArchiveMeeting', async (req: ArchiveMeetingRequest) => ({ archived: await maintenance.archive(req) })),
    ),
    restoreMeeting: unaryHandler<RestoreMeetingRequest, RestoreMeetingResponse>(
      logger,
      guarded('RestoreMeeting', async (req: RestoreMeetingRequest) => ({ restored: await maintenance.restore(req) })),
    ),
    purgeTenant: unaryHandler<PurgeTenantRequest, PurgeTenantResponse>(
      logger,
      guarded('PurgeTenant', async (req: PurgeTenantRequest) => {
        const c = await maintenance.purgeTenant(req);
        return {
          meetingsDeleted: c.meetings,
          segmentsDeleted: c.segments,
          alertsDeleted: c.alerts,
          reportsDeleted: c.reports,
          dataKeysDeleted: c.dataKeys,
        };
      }),
    ),
    purgeParticipant: unaryHandler<PurgeParticipantRequest, PurgeParticipantResponse>(
      logger,
      guarded('PurgeParticipant', async (req: PurgeParticipantRequest) => {
        const c = await maintenance.purgeParticipant(req);
        return { meetingsAffected: c.meetingsAffected, segmentsDeleted: c.segments, alertsDeleted: c.alerts };
      }),
    ),
  };
  return { name: STORAGE_MAINTENANCE_SERVICE_NAME, definition: StorageMaintenanceServiceService, implementation };
}
