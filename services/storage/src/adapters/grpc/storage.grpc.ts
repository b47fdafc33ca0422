import {
  StorageServiceService,
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
  type PurgeMeetingRequest,
  type PurgeMeetingResponse,
  type StorageServiceServer,
} from '@confide/contracts';
import {
  authorizeRpc,
  unaryHandler,
  type AuthorizedUnaryContext,
  type GrpcServiceRegistration,
  type Logger,
  type PolicyResource,
  type RpcAuthorizationDeps,
  type UnaryContext,
  refuseEveryCaller,
} from '@confide/platform';
import type { PurgeMeeting } from '../../use-cases/purge-meeting.use-case';
import type { QueryMeetings } from '../../use-cases/query-meetings.use-case';

export const STORAGE_SERVICE_NAME = 'confide.storage.v1.StorageService';

export interface StorageGrpcDeps {
  logger: Logger;
  queries: QueryMeetings;
  purgeMeeting: PurgeMeeting;
  /**
   * Caller authorization (ADR 0009): the `x-confide-subject` assertion is verified and the
   * policy decides the caller service's `rpc:` action and, for the reads, the end user's
   * action on the meeting. Without it every RPC is refused (UNAUTHENTICATED): fail closed.
   */
  authorization?: RpcAuthorizationDeps;
}

/** The meeting a request names, as the policy's resource (owner unknown to storage: ""). */
const meetingResource = (req: { tenantId: string; meetingId: string }): Partial<PolicyResource> => ({
  tenant: req.tenantId,
  meeting: req.meetingId,
  kind: 'meeting',
});

/**
 * confide.storage.v1.StorageService over the use cases. Every RPC is authorized first
 * (authorizeRpc): missing/invalid caller identity -> UNAUTHENTICATED, a refused decision ->
 * PERMISSION_DENIED with a fixed message (nothing about the meeting), an access that could
 * not be audited -> UNAVAILABLE. Domain errors (AppError) become status codes in platform's
 * unaryHandler; anything else is INTERNAL without details.
 */
export function storageGrpcService(deps: StorageGrpcDeps): GrpcServiceRegistration {
  const { logger, queries, purgeMeeting, authorization } = deps;
  if (!authorization) logger.warn('StorageService has no caller authorization configured: every RPC is refused');

  const guarded = <Req, Res>(
    method: string,
    user: ((req: Req) => Partial<PolicyResource>) | undefined,
    fn: (req: Req, ctx: AuthorizedUnaryContext) => Promise<Res>,
  ): ((req: Req, ctx: UnaryContext) => Promise<Res>) => {
    if (!authorization) return refuseEveryCaller<Req, Res>();
    return authorizeRpc<Req, Res>(authorization, { method: `${STORAGE_SERVICE_NAME}/${method}`, ...(user ? { user: { resource: user } } : {}) }, fn);
  };

  const implementation: StorageServiceServer = {
    listMeetings: unaryHandler<ListMeetingsRequest, ListMeetingsResponse>(
      logger,
      guarded('ListMeetings', (req: ListMeetingsRequest) => ({ tenant: req.tenantId, kind: 'tenant' }), async (req) => queries.list(req)),
    ),
    getMeeting: unaryHandler<GetMeetingRequest, GetMeetingResponse>(
      logger,
      guarded('GetMeeting', meetingResource, async (req: GetMeetingRequest) => ({ meeting: await queries.get(req) })),
    ),
    getTranscript: unaryHandler<GetTranscriptRequest, GetTranscriptResponse>(
      logger,
      guarded('GetTranscript', meetingResource, async (req: GetTranscriptRequest) => ({
        meetingId: req.meetingId,
        segments: await queries.transcript(req),
      })),
    ),
    listAlerts: unaryHandler<ListAlertsRequest, ListAlertsResponse>(
      logger,
      guarded('ListAlerts', meetingResource, async (req: ListAlertsRequest) => ({ alerts: await queries.alerts(req) })),
    ),
    getReport: unaryHandler<GetReportRequest, GetReportResponse>(
      logger,
      guarded('GetReport', meetingResource, async (req: GetReportRequest) => ({ report: await queries.report(req) })),
    ),
    // Service-only (lifecycle's erasure and retention): no end user is checked.
    purgeMeeting: unaryHandler<PurgeMeetingRequest, PurgeMeetingResponse>(
      logger,
      guarded('PurgeMeeting', undefined, async (req: PurgeMeetingRequest) => {
        const counts = await purgeMeeting.execute(req);
        return {
          meetingsDeleted: counts.meetings,
          segmentsDeleted: counts.segments,
          alertsDeleted: counts.alerts,
          reportsDeleted: counts.reports,
        };
      }),
    ),
  };
  return { name: STORAGE_SERVICE_NAME, definition: StorageServiceService, implementation };
}
