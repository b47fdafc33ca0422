import type { DeleteMeetingResponse } from '@confide/contracts';
import type { CallContext, MeetingRef } from './storage.port';

export interface DeleteMeetingCommand extends MeetingRef {
  /** The authenticated subject's id (lifecycle records the id from the subject assertion). */
  requestedBy: string;
  reason: string;
}

/** Erasure through the lifecycle service. Rejections as in StoragePort. */
export interface LifecyclePort {
  deleteMeeting(command: DeleteMeetingCommand, ctx: CallContext): Promise<DeleteMeetingResponse>;
  ready(): Promise<boolean>;
}
