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
import { unaryHandler, type GrpcServiceRegistration, type Logger } from '@confide/platform';
import type { PurgeMeeting } from '../../use-cases/purge-meeting.use-case';
import type { QueryMeetings } from '../../use-cases/query-meetings.use-case';

export const STORAGE_SERVICE_NAME = 'confide.storage.v1.StorageService';

/**
 * confide.storage.v1.StorageService over the use cases. Domain errors (AppError) become
 * status codes in platform's unaryHandler; anything else is INTERNAL without details.
 */
export function storageGrpcService(deps: { logger: Logger; queries: QueryMeetings; purgeMeeting: PurgeMeeting }): GrpcServiceRegistration {
  const { logger, queries, purgeMeeting } = deps;
  const implementation: StorageServiceServer = {
    listMeetings: unaryHandler<ListMeetingsRequest, ListMeetingsResponse>(logger, async (req) => queries.list(req)),
    getMeeting: unaryHandler<GetMeetingRequest, GetMeetingResponse>(logger, async (req) => ({ meeting: await queries.get(req) })),
    getTranscript: unaryHandler<GetTranscriptRequest, GetTranscriptResponse>(logger, async (req) => ({
      meetingId: req.meetingId,
      segments: await queries.transcript(req),
    })),
    listAlerts: unaryHandler<ListAlertsRequest, ListAlertsResponse>(logger, async (req) => ({ alerts: await queries.alerts(req) })),
    getReport: unaryHandler<GetReportRequest, GetReportResponse>(logger, async (req) => ({ report: await queries.report(req) })),
    purgeMeeting: unaryHandler<PurgeMeetingRequest, PurgeMeetingResponse>(logger, async (req) => {
      const counts = await purgeMeeting.execute(req);
      return {
        meetingsDeleted: counts.meetings,
        segmentsDeleted: counts.segments,
        alertsDeleted: counts.alerts,
        reportsDeleted: counts.reports,
      };
    }),
  };
  return { name: STORAGE_SERVICE_NAME, definition: StorageServiceService, implementation };
}
