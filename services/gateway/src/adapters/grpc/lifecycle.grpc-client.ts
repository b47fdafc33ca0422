import type * as grpc from '@grpc/grpc-js';
import {
  LifecycleServiceClient,
  RetentionAction,
  type DeleteMeetingResponse,
  type EraseTenantResponse,
  type EraseUserDataResponse,
  type RestoreArchivedMeetingResponse,
  type RetentionPolicy,
} from '@confide/contracts';
import { callUnary, createGrpcClient } from '@confide/platform';
import type { DeleteMeetingCommand, EraseTenantCommand, EraseUserDataCommand, LifecyclePort, RestoreMeetingCommand } from '../../ports/lifecycle.port';
import type { CallContext } from '../../ports/storage.port';
import { fromDownstream } from './downstream-error';
import { checkServing } from './grpc-health.client';
import { requestMetadata } from './request-metadata';
import type { GrpcPortOptions } from './storage.grpc-client';

export const LIFECYCLE_SERVICE_NAME = 'confide.lifecycle.v1.LifecycleService';

/** A tenant erasure destroys the key first and may wait for the purge: this many deadlines. */
const ERASE_TENANT_DEADLINE_FACTOR = 4;

/** LifecyclePort over LifecycleServiceClient. */
export class GrpcLifecycleClient implements LifecyclePort {
  private readonly client: LifecycleServiceClient;

  constructor(
    address: string,
    private readonly opts: GrpcPortOptions,
  ) {
    this.client = createGrpcClient(LifecycleServiceClient, address, { credentials: opts.credentials });
  }

  private async call<Res>(method: string, request: object, ctx: CallContext, deadlineFactor = 1): Promise<Res> {
    try {
      return await callUnary<object, Res>(this.client, method, request, {
        deadlineMs: this.opts.deadlineMs * deadlineFactor,
        signal: ctx.signal,
        metadata: requestMetadata(ctx),
      });
    } catch (err) {
      throw fromDownstream('lifecycle', err);
    }
  }

  deleteMeeting(command: DeleteMeetingCommand, ctx: CallContext): Promise<DeleteMeetingResponse> {
    return this.call<DeleteMeetingResponse>('deleteMeeting', command, ctx);
  }

  eraseTenant(command: EraseTenantCommand, ctx: CallContext): Promise<EraseTenantResponse> {
    return this.call<EraseTenantResponse>('eraseTenant', { ...command, requestedBy: '' }, ctx, ERASE_TENANT_DEADLINE_FACTOR);
  }

  eraseUserData(command: EraseUserDataCommand, ctx: CallContext): Promise<EraseUserDataResponse> {
    return this.call<EraseUserDataResponse>('eraseUserData', { ...command, requestedBy: '' }, ctx);
  }

  restoreMeeting(command: RestoreMeetingCommand, ctx: CallContext): Promise<RestoreArchivedMeetingResponse> {
    return this.call<RestoreArchivedMeetingResponse>('restoreArchivedMeeting', { ...command, requestedBy: '' }, ctx);
  }

  async getRetentionPolicy(tenantId: string, ctx: CallContext): Promise<RetentionPolicy> {
    const res = await this.call<{ policy?: RetentionPolicy }>('getRetentionPolicy', { tenantId }, ctx);
    return required(res.policy);
  }

  async setRetentionPolicy(command: { tenantId: string; days: number; action: 'archive' | 'delete' }, ctx: CallContext): Promise<RetentionPolicy> {
    const action = command.action === 'archive' ? RetentionAction.RETENTION_ACTION_ARCHIVE : RetentionAction.RETENTION_ACTION_DELETE;
    const res = await this.call<{ policy?: RetentionPolicy }>('setRetentionPolicy', { tenantId: command.tenantId, days: command.days, action }, ctx);
    return required(res.policy);
  }

  ready(): Promise<boolean> {
    return checkServing(this.client as unknown as grpc.Client, LIFECYCLE_SERVICE_NAME, this.opts.healthDeadlineMs ?? 1000);
  }

  close(): void {
    this.client.close();
  }
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('lifecycle answered without a result');
  return value;
}
