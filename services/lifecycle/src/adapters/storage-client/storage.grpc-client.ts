import * as grpc from '@grpc/grpc-js';
import { StorageServiceClient, type PurgeMeetingRequest, type PurgeMeetingResponse } from '@confide/contracts';
import {
  callUnary,
  createGrpcClient,
  grpcStatusToAppError,
  isServiceError,
  SUBJECT_ASSERTION_METADATA,
  type SubjectAssertionSigner,
} from '@confide/platform';
import type { ErasedCounts, MeetingStore } from '../../ports/meeting-store.port';

export const DEFAULT_STORAGE_DEADLINE_MS = 10_000;

export interface GrpcMeetingStoreOptions {
  deadlineMs?: number;
  /**
   * Lifecycle's own service identity: every call carries a fresh `x-confide-subject`
   * assertion signed with it (PurgeMeeting acts for no end user). Storage refuses calls
   * without one.
   */
  signer?: SubjectAssertionSigner;
  /** Channel credentials (platform grpcClientCredentials); default plaintext, loopback only. */
  credentials?: grpc.ChannelCredentials;
}

/** MeetingStore over StorageService.PurgeMeeting (gRPC); gRPC statuses become AppErrors. */
export class GrpcMeetingStore implements MeetingStore {
  private readonly client: StorageServiceClient;
  private readonly ownsClient: boolean;

  /** `client` (all-in-one: the host's) or an address "host:port" (microservices: STORAGE_GRPC_ADDR). */
  constructor(
    clientOrAddress: StorageServiceClient | string,
    private readonly opts: GrpcMeetingStoreOptions = {},
  ) {
    this.ownsClient = typeof clientOrAddress === 'string';
    this.client =
      typeof clientOrAddress === 'string'
        ? createGrpcClient(StorageServiceClient, clientOrAddress, opts.credentials ? { credentials: opts.credentials } : {})
        : clientOrAddress;
  }

  async purgeMeeting(ref: { tenantId: string; meetingId: string }, opts: { signal?: AbortSignal } = {}): Promise<ErasedCounts> {
    try {
      const metadata = new grpc.Metadata();
      if (this.opts.signer) metadata.set(SUBJECT_ASSERTION_METADATA, await this.opts.signer.sign());
      const res = await callUnary<PurgeMeetingRequest, PurgeMeetingResponse>(this.client, 'purgeMeeting', ref, {
        deadlineMs: this.opts.deadlineMs ?? DEFAULT_STORAGE_DEADLINE_MS,
        metadata,
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
