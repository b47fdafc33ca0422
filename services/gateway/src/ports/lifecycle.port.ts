import type { DeleteMeetingResponse } from '@confide/contracts';
import type { CallContext, MeetingRef } from './storage.port';

export interface DeleteMeetingCommand extends MeetingRef {
  /** Who asked; until authentication lands this is a fixed placeholder (see README). */
  requestedBy: string;
  reason: string;
}

/** Erasure through the lifecycle service. Rejections as in StoragePort. */
export interface LifecyclePort {
  deleteMeeting(command: DeleteMeetingCommand, ctx: CallContext): Promise<DeleteMeetingResponse>;
  ready(): Promise<boolean>;
}
