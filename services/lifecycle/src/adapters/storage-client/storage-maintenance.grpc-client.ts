import * as grpc from '@grpc/grpc-js';
import {
  StorageMaintenanceServiceClient,
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
} from '@confide/contracts';
import { callUnary, createGrpcClient, grpcStatusToAppError, isServiceError, SUBJECT_ASSERTION_METADATA } from '@confide/platform';
import type { ExpiredMeeting, ParticipantPurgeCounts, StorageMaintenance, TenantPurgeCounts } from '../../ports/storage-maintenance.port';
import { DEFAULT_STORAGE_DEADLINE_MS, type GrpcMeetingStoreOptions } from './storage.grpc-client';

/**
 * StorageMaintenance over StorageMaintenanceService (gRPC). Every call carries lifecycle's own
 * service identity (`signer`, as GrpcMeetingStore); gRPC statuses become AppErrors.
 */
export class GrpcStorageMaintenance implements StorageMaintenance {
  private readonly client: StorageMaintenanceServiceClient;
  private readonly ownsClient: boolean;

  /** `client` (all-in-one: the host's) or an address "host:port" (STORAGE_GRPC_ADDR). */
  constructor(
    clientOrAddress: StorageMaintenanceServiceClient | string,
    private readonly opts: GrpcMeetingStoreOptions = {},
  ) {
    this.ownsClient = typeof clientOrAddress === 'string';
    this.client =
      typeof clientOrAddress === 'string'
        ? createGrpcClient(StorageMaintenanceServiceClient, clientOrAddress, opts.credentials ? { credentials: opts.credentials } : {})
        : clientOrAddress;
  }

  async listTenants(afterTenantId: string, limit: number): Promise<string[]> {
    const res = await this.call<ListTenantsRequest, ListTenantsResponse>('listTenants', { afterTenantId, pageSize: limit });
    return res.tenantIds;
  }

  async listExpiredMeetings(tenantId: string, endedBeforeMs: number, limit: number, includeArchived: boolean): Promise<ExpiredMeeting[]> {
    const res = await this.call<ListExpiredMeetingsRequest, ListExpiredMeetingsResponse>('listExpiredMeetings', {
      tenantId,
      endedBeforeUnixMs: endedBeforeMs,
      pageSize: limit,
      includeArchived,
    });
    return res.meetings.map((m) => ({
      meetingId: m.meetingId,
      endedAtMs: m.endedAtUnixMs,
      ...(m.archivedAtUnixMs ? { archivedAtMs: m.archivedAtUnixMs } : {}),
    }));
  }

  async listAudioKeysDue(tenantId: string, endedBeforeMs: number, limit: number): Promise<string[]> {
    const res = await this.call<ListAudioKeysDueRequest, ListAudioKeysDueResponse>('listAudioKeysDue', { tenantId, endedBeforeUnixMs: endedBeforeMs, pageSize: limit });
    return res.meetingIds;
  }

  async archiveMeeting(ref: { tenantId: string; meetingId: string }): Promise<boolean> {
    return (await this.call<ArchiveMeetingRequest, ArchiveMeetingResponse>('archiveMeeting', ref)).archived;
  }

  async restoreMeeting(ref: { tenantId: string; meetingId: string }): Promise<boolean> {
    return (await this.call<RestoreMeetingRequest, RestoreMeetingResponse>('restoreMeeting', ref)).restored;
  }

  async purgeTenant(tenantId: string): Promise<TenantPurgeCounts> {
    const r = await this.call<PurgeTenantRequest, PurgeTenantResponse>('purgeTenant', { tenantId });
    return { meetings: r.meetingsDeleted, segments: r.segmentsDeleted, alerts: r.alertsDeleted, reports: r.reportsDeleted, dataKeys: r.dataKeysDeleted };
  }

  async purgeParticipant(tenantId: string, participantId: string): Promise<ParticipantPurgeCounts> {
    const r = await this.call<PurgeParticipantRequest, PurgeParticipantResponse>('purgeParticipant', { tenantId, participantId });
    return { meetingsAffected: r.meetingsAffected, segments: r.segmentsDeleted, alerts: r.alertsDeleted };
  }

  /** Closes the channel when this client created it. */
  close(): void {
    if (this.ownsClient) this.client.close();
  }

  private async call<Req, Res>(method: string, request: Req): Promise<Res> {
    try {
      const metadata = new grpc.Metadata();
      if (this.opts.signer) metadata.set(SUBJECT_ASSERTION_METADATA, await this.opts.signer.sign());
      return await callUnary<Req, Res>(this.client, method, request, { deadlineMs: this.opts.deadlineMs ?? DEFAULT_STORAGE_DEADLINE_MS, metadata });
    } catch (err) {
      throw isServiceError(err) ? grpcStatusToAppError(err) : err;
    }
  }
}
