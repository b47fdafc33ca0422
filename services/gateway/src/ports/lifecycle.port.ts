import type {
  DeleteMeetingResponse,
  EraseTenantResponse,
  EraseUserDataResponse,
  RestoreArchivedMeetingResponse,
  RetentionPolicy,
} from '@confide/contracts';
import type { CallContext, MeetingRef } from './storage.port';

export interface DeleteMeetingCommand extends MeetingRef {
  /** The authenticated subject's id (lifecycle records the id from the subject assertion). */
  requestedBy: string;
  reason: string;
}

export interface EraseTenantCommand {
  tenantId: string;
  reason: string;
}

export interface EraseUserDataCommand {
  tenantId: string;
  userId: string;
  reason: string;
}

export interface RestoreMeetingCommand extends MeetingRef {
  reason: string;
}

/** Erasure, restore and retention through the lifecycle service. Rejections as in StoragePort. */
export interface LifecyclePort {
  deleteMeeting(command: DeleteMeetingCommand, ctx: CallContext): Promise<DeleteMeetingResponse>;
  eraseTenant(command: EraseTenantCommand, ctx: CallContext): Promise<EraseTenantResponse>;
  eraseUserData(command: EraseUserDataCommand, ctx: CallContext): Promise<EraseUserDataResponse>;
  restoreMeeting(command: RestoreMeetingCommand, ctx: CallContext): Promise<RestoreArchivedMeetingResponse>;
  getRetentionPolicy(tenantId: string, ctx: CallContext): Promise<RetentionPolicy>;
  /** `action` "archive" | "delete". */
  setRetentionPolicy(command: { tenantId: string; days: number; action: 'archive' | 'delete' }, ctx: CallContext): Promise<RetentionPolicy>;
  ready(): Promise<boolean>;
}
