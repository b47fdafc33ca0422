import { Router, type Request, type Response } from 'express';
import { invalidArgument } from '@confide/platform';
import { isWellFormedId, parseDeleteBody, parsePageSize, parsePageToken } from '../../domain/api-input';
import type { LifecyclePort } from '../../ports/lifecycle.port';
import type { MeetingRef, StoragePort } from '../../ports/storage.port';
import { presentAlert, presentErasure, presentMeeting, presentReport, presentSegment } from './meeting.presenter';
import { callContext, tenantOf } from './request-context';

/**
 * TEMPORARY until authentication lands: erasures are recorded as requested by this
 * placeholder (the audit trail gets the real subject with the authentication task).
 */
export const UNAUTHENTICATED_REQUESTER = 'unauthenticated-gateway-caller';

function meetingRef(req: Request, res: Response): MeetingRef {
  const meetingId = req.params.id;
  if (!isWellFormedId(meetingId)) throw invalidArgument('the meeting id must be 1-128 characters of [A-Za-z0-9._:-]');
  return { tenantId: tenantOf(res), meetingId };
}

function unwrap<T>(parsed: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!parsed.ok) throw invalidArgument(parsed.message);
  return parsed.value;
}

/** /api/meetings: reads from storage, erasure through lifecycle. Errors go to the app's error handler. */
export function meetingsRoutes(deps: { storage: StoragePort; lifecycle: LifecyclePort }): Router {
  const { storage, lifecycle } = deps;
  const router = Router();

  router.get('/', async (req, res) => {
    const pageSize = unwrap(parsePageSize(req.query.pageSize));
    const pageToken = unwrap(parsePageToken(req.query.pageToken));
    const page = await storage.listMeetings({ tenantId: tenantOf(res), pageSize, pageToken }, callContext(res));
    res.json({ meetings: page.meetings.map(presentMeeting), nextPageToken: page.nextPageToken || null });
  });

  router.get('/:id', async (req, res) => {
    const meeting = await storage.getMeeting(meetingRef(req, res), callContext(res));
    res.json(presentMeeting(meeting));
  });

  router.get('/:id/transcript', async (req, res) => {
    const ref = meetingRef(req, res);
    const segments = await storage.getTranscript(ref, callContext(res));
    res.json({ meetingId: ref.meetingId, segments: segments.map(presentSegment) });
  });

  router.get('/:id/alerts', async (req, res) => {
    const ref = meetingRef(req, res);
    const alerts = await storage.listAlerts(ref, callContext(res));
    res.json({ meetingId: ref.meetingId, alerts: alerts.map(presentAlert) });
  });

  router.get('/:id/report', async (req, res) => {
    const report = await storage.getReport(meetingRef(req, res), callContext(res));
    res.json(presentReport(report));
  });

  router.delete('/:id', async (req, res) => {
    const ref = meetingRef(req, res);
    const { reason } = unwrap(parseDeleteBody(req.body));
    const erased = await lifecycle.deleteMeeting({ ...ref, requestedBy: UNAUTHENTICATED_REQUESTER, reason }, callContext(res));
    res.json(presentErasure(erased));
  });

  return router;
}
