import type * as grpc from '@grpc/grpc-js';
import {
  StorageServiceClient,
  type GetMeetingRequest,
  type GetMeetingResponse,
  type GetReportRequest,
  type GetReportResponse,
  type GetTranscriptRequest,
  type GetTranscriptResponse,
  type ListAlertsRequest,
  type ListAlertsResponse,
  type ListMeetingsRequest,
  type ListMeetingsResponse,
  type Meeting,
  type Report,
} from '@confide/contracts';
import { callUnary, createGrpcClient, notFound } from '@confide/platform';
import type { CallContext, MeetingPage, MeetingRef, StoragePort } from '../../ports/storage.port';
import { fromDownstream } from './downstream-error';
import { checkServing } from './grpc-health.client';
import { requestMetadata } from './request-metadata';

export const STORAGE_SERVICE_NAME = 'confide.storage.v1.StorageService';

export interface GrpcPortOptions {
  /** Deadline of every call. */
  deadlineMs: number;
  /** Deadline of readiness checks. */
  healthDeadlineMs?: number;
  /** Channel credentials (platform grpcClientCredentials); default plaintext, loopback only. */
  credentials?: grpc.ChannelCredentials;
}

/** StoragePort over StorageServiceClient (platform callUnary: deadline, trace context, cancellation). */
export class GrpcStorageClient implements StoragePort {
  private readonly client: StorageServiceClient;

  constructor(
    address: string,
    private readonly opts: GrpcPortOptions,
  ) {
    this.client = createGrpcClient(StorageServiceClient, address, { credentials: opts.credentials });
  }

  async listMeetings(query: { tenantId: string; pageSize: number; pageToken: string }, ctx: CallContext): Promise<MeetingPage> {
    const res = await this.call<ListMeetingsRequest, ListMeetingsResponse>('listMeetings', query, ctx);
    return { meetings: res.meetings, nextPageToken: res.nextPageToken };
  }

  async getMeeting(ref: MeetingRef, ctx: CallContext): Promise<Meeting> {
    const res = await this.call<GetMeetingRequest, GetMeetingResponse>('getMeeting', ref, ctx);
    if (!res.meeting) throw notFound(`meeting ${ref.meetingId} not found`);
    return res.meeting;
  }

  async getTranscript(ref: MeetingRef, ctx: CallContext) {
    const res = await this.call<GetTranscriptRequest, GetTranscriptResponse>('getTranscript', ref, ctx);
    return res.segments;
  }

  async listAlerts(ref: MeetingRef, ctx: CallContext) {
    const res = await this.call<ListAlertsRequest, ListAlertsResponse>('listAlerts', ref, ctx);
    return res.alerts;
  }

  async getReport(ref: MeetingRef, ctx: CallContext): Promise<Report> {
    const res = await this.call<GetReportRequest, GetReportResponse>('getReport', ref, ctx);
    if (!res.report) throw notFound(`report of meeting ${ref.meetingId} not found`);
    return res.report;
  }

  ready(): Promise<boolean> {
    return checkServing(this.client as unknown as grpc.Client, STORAGE_SERVICE_NAME, this.opts.healthDeadlineMs ?? 1000);
  }

  close(): void {
    this.client.close();
  }

  private async call<Req, Res>(method: string, request: Req, ctx: CallContext): Promise<Res> {
    try {
      return await callUnary<Req, Res>(this.client, method, request, {
        deadlineMs: this.opts.deadlineMs,
        signal: ctx.signal,
        metadata: requestMetadata(ctx),
      });
    } catch (err) {
      throw fromDownstream('storage', err);
    }
  }
}
