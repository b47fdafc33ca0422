import { StorageServiceClient, type PurgeMeetingRequest, type PurgeMeetingResponse } from '@confide/contracts';
import { callUnary, createGrpcClient, grpcStatusToAppError, isServiceError } from '@confide/platform';
import type { ErasedCounts, MeetingStore } from '../../ports/meeting-store.port';

export const DEFAULT_STORAGE_DEADLINE_MS = 10_000;

/** MeetingStore over StorageService.PurgeMeeting (gRPC); gRPC statuses become AppErrors. */
export class GrpcMeetingStore implements MeetingStore {
  private readonly client: StorageServiceClient;
  private readonly ownsClient: boolean;

  /** `client` (all-in-one: the host's) or an address "host:port" (microservices: STORAGE_GRPC_ADDR). */
  constructor(
    clientOrAddress: StorageServiceClient | string,
    private readonly opts: { deadlineMs?: number } = {},
  ) {
    this.ownsClient = typeof clientOrAddress === 'string';
    this.client = typeof clientOrAddress === 'string' ? createGrpcClient(StorageServiceClient, clientOrAddress) : clientOrAddress;
  }

  async purgeMeeting(ref: { tenantId: string; meetingId: string }, opts: { signal?: AbortSignal } = {}): Promise<ErasedCounts> {
    try {
      const res = await callUnary<PurgeMeetingRequest, PurgeMeetingResponse>(this.client, 'purgeMeeting', ref, {
        deadlineMs: this.opts.deadlineMs ?? DEFAULT_STORAGE_DEADLINE_MS,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      return { meetings: res.meetingsDeleted, segments: res.segmentsDeleted, alerts: res.alertsDeleted, reports: res.reportsDeleted };
    } catch (err) {
      throw isServiceError(err) ? grpcStatusToAppError(err) : err;
    }
  }

  /** Closes the channel when this store created it. */
  close(): void {
    if (this.ownsClient) this.client.close();
  }
}
