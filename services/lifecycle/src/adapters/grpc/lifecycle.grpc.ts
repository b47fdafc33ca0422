import {
  LifecycleServiceService,
  type DeleteMeetingRequest,
  type DeleteMeetingResponse,
  type LifecycleServiceServer,
} from '@confide/contracts';
import {
  AppError,
  authorizeRpc,
  unaryHandler,
  type GrpcServiceRegistration,
  type Logger,
  type RpcAuthorizationDeps,
  type UnaryContext,
} from '@confide/platform';
import type { DeleteMeeting } from '../../use-cases/delete-meeting.use-case';

export const LIFECYCLE_SERVICE_NAME = 'confide.lifecycle.v1.LifecycleService';

export interface LifecycleGrpcDeps {
  logger: Logger;
  deleteMeeting: DeleteMeeting;
  /**
   * Caller authorization (ADR 0009): the `x-confide-subject` assertion is verified, the
   * caller service's `rpc:` action and the end user's `meeting:delete` (MFA) decided by the
   * policy. Without it every RPC is refused (UNAUTHENTICATED): fail closed.
   */
  authorization?: RpcAuthorizationDeps;
}

/**
 * confide.lifecycle.v1.LifecycleService over the use cases. DeleteMeeting is authorized
 * first (authorizeRpc: missing/invalid caller -> UNAUTHENTICATED, refused -> PERMISSION_DENIED
 * with a fixed message, not auditable -> UNAVAILABLE). The erasure is recorded as requested
 * by the authenticated end user (the assertion's subject), not by the request's field.
 */
export function lifecycleGrpcService(deps: LifecycleGrpcDeps): GrpcServiceRegistration {
  const { logger, authorization } = deps;
  if (!authorization) logger.warn('LifecycleService has no caller authorization configured: every RPC is refused');
  const deleteMeeting = authorization
    ? authorizeRpc<DeleteMeetingRequest, DeleteMeetingResponse>(
        authorization,
        {
          method: `${LIFECYCLE_SERVICE_NAME}/DeleteMeeting`,
          user: { resource: (req) => ({ tenant: req.tenantId, meeting: req.meetingId, kind: 'meeting' }) },
        },
        async (req, ctx) => {
          const requestedBy = ctx.subject?.id ?? '';
          const result = await deps.deleteMeeting.execute({ ...req, requestedBy }, { signal: ctx.signal });
          return { meetingId: result.meetingId, erased: result.erased, erasedAtUnixMs: result.erasedAtMs };
        },
      )
    : async (_req: DeleteMeetingRequest, _ctx: UnaryContext): Promise<DeleteMeetingResponse> => {
        throw new AppError('unauthenticated', 'the caller identity is missing or invalid');
      };
  const implementation: LifecycleServiceServer = {
    deleteMeeting: unaryHandler<DeleteMeetingRequest, DeleteMeetingResponse>(logger, deleteMeeting),
  };
  return { name: LIFECYCLE_SERVICE_NAME, definition: LifecycleServiceService, implementation };
}
