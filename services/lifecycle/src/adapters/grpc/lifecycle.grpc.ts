import {
  LifecycleServiceService,
  type DeleteMeetingRequest,
  type DeleteMeetingResponse,
  type LifecycleServiceServer,
} from '@confide/contracts';
import { unaryHandler, type GrpcServiceRegistration, type Logger } from '@confide/platform';
import type { DeleteMeeting } from '../../use-cases/delete-meeting.use-case';

export const LIFECYCLE_SERVICE_NAME = 'confide.lifecycle.v1.LifecycleService';

/** confide.lifecycle.v1.LifecycleService over the use cases. */
export function lifecycleGrpcService(deps: { logger: Logger; deleteMeeting: DeleteMeeting }): GrpcServiceRegistration {
  const implementation: LifecycleServiceServer = {
    deleteMeeting: unaryHandler<DeleteMeetingRequest, DeleteMeetingResponse>(deps.logger, async (req, ctx) => {
      const result = await deps.deleteMeeting.execute(req, { signal: ctx.signal });
      return { meetingId: result.meetingId, erased: result.erased, erasedAtUnixMs: result.erasedAtMs };
    }),
  };
  return { name: LIFECYCLE_SERVICE_NAME, definition: LifecycleServiceService, implementation };
}
