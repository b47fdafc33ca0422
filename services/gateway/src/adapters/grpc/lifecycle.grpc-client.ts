import type * as grpc from '@grpc/grpc-js';
import { LifecycleServiceClient, type DeleteMeetingRequest, type DeleteMeetingResponse } from '@confide/contracts';
import { callUnary, createGrpcClient } from '@confide/platform';
import type { DeleteMeetingCommand, LifecyclePort } from '../../ports/lifecycle.port';
import type { CallContext } from '../../ports/storage.port';
import { fromDownstream } from './downstream-error';
import { checkServing } from './grpc-health.client';
import { requestMetadata } from './request-metadata';
import type { GrpcPortOptions } from './storage.grpc-client';

export const LIFECYCLE_SERVICE_NAME = 'confide.lifecycle.v1.LifecycleService';

/** LifecyclePort over LifecycleServiceClient. */
export class GrpcLifecycleClient implements LifecyclePort {
  private readonly client: LifecycleServiceClient;

  constructor(
    address: string,
    private readonly opts: GrpcPortOptions,
  ) {
    this.client = createGrpcClient(LifecycleServiceClient, address, { credentials: opts.credentials });
  }

  async deleteMeeting(command: DeleteMeetingCommand, ctx: CallContext): Promise<DeleteMeetingResponse> {
    try {
      return await callUnary<DeleteMeetingRequest, DeleteMeetingResponse>(this.client, 'deleteMeeting', command, {
        deadlineMs: this.opts.deadlineMs,
        signal: ctx.signal,
        metadata: requestMetadata(ctx),
      });
    } catch (err) {
      throw fromDownstream('lifecycle', err);
    }
  }

  ready(): Promise<boolean> {
    return checkServing(this.client as unknown as grpc.Client, LIFECYCLE_SERVICE_NAME, this.opts.healthDeadlineMs ?? 1000);
  }

  close(): void {
    this.client.close();
  }
}
