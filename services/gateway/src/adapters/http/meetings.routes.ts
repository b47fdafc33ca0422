import { Router, type Request, type Response } from 'express';
import { invalidArgument, type UserAction } from '@confide/platform';
import { isWellFormedId, parseDeleteBody, parsePageSize, parsePageToken } from '../../domain/api-input';
import type { LifecyclePort } from '../../ports/lifecycle.port';
import type { LifecycleRecordsPort } from '../../ports/lifecycle-records.port';
import type { MeetingRef, OwnedMeeting, StoragePort } from '../../ports/storage.port';
import { authorize, subjectOf, targetTenant, type AccessControl } from './access-control';
import { latestCertificate } from './lifecycle-records.routes';
import { presentAlert, presentErasure, presentMeeting, presentReport, presentSegment } from './meeting.presenter';
import { callContext } from './request-context';

/** The policy action of each route (policies/README.md). */
export const ROUTE_ACTIONS = {
  list: 'meeting:list',
  meeting: 'meeting:read',
  transcript: 'transcript:read',
  alerts: 'alerts:read',
  report: 'report:read',
  delete: 'meeting:delete',
  /** New in the policy (admins, owners; MFA); platform's UserAction union does not list it yet. */
  restore: 'meeting:restore',
} as const satisfies Record<string, UserAction>;

function unwrap<T>(parsed: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!parsed.ok) throw invalidArgument(parsed.message);
  return parsed.value;
}

/**
 * /api/meetings: reads from storage, erasure through lifecycle. Every route is authorized by
 * the policy first (lists: the tenant; a meeting: tenant, owner and id from storage's record,
 * so another tenant's meeting is simply not found). The subject is already authenticated
 * (access-control.ts). Errors go to the app's error handler.
 */
export function meetingsRoutes(deps: {
  storage: StoragePort;
  lifecycle: LifecyclePort;
  access: AccessControl;
  /** With it, DELETE answers with the erasure's signed deletion certificate too. */
  records?: LifecycleRecordsPort;
}): Router {
  const { storage, lifecycle, access, records } = deps;
  const router = Router();

  const tenant = (req: Request, res: Response): string => targetTenant(req, res);

  const meetingRef = (req: Request, res: Response): MeetingRef => {
    const meetingId = req.params.id;
    if (!isWellFormedId(meetingId)) throw invalidArgument('the meeting id must be 1-128 characters of [A-Za-z0-9._:-]');
    return { tenantId: tenant(req, res), meetingId };
  };

  /**
   * The meeting, once `action` on it is allowed. Users: fetched first (their own tenant
   * only: another tenant's id is 404), then decided with its owner. Staff and others: the
   * decision does not depend on the owner, so it comes first and a refused caller learns
   * nothing about which meetings exist.
   */
  const authorizedMeeting = async (req: Request, res: Response, action: UserAction): Promise<{ ref: MeetingRef; meeting?: OwnedMeeting }> => {
    const ref = meetingRef(req, res);
    const resource = { tenant: ref.tenantId, meeting: ref.meetingId, kind: 'meeting' };
    if (subjectOf(res).kind !== 'user') {
      await authorize(access, res, action, { ...resource, owner: '' });
      return { ref, meeting: await storage.getMeeting(ref, callContext(res)) };
    }
    const meeting = await storage.getMeeting(ref, callContext(res));
    await authorize(access, res, action, { ...resource, owner: meeting.ownerId ?? '' });
    return { ref, meeting };
  };

  router.get('/', async (req, res) => {
    const pageSize = unwrap(parsePageSize(req.query.pageSize));
    const pageToken = unwrap(parsePageToken(req.query.pageToken));
    const tenantId = tenant(req, res);
    await authorize(access, res, ROUTE_ACTIONS.list, { tenant: tenantId, owner: '', meeting: '', kind: 'tenant' });
    const page = await storage.listMeetings({ tenantId, pageSize, pageToken }, callContext(res));
    res.json({ meetings: page.meetings.map(presentMeeting), nextPageToken: page.nextPageToken || null });
  });

  router.get('/:id', async (req, res) => {
    const { ref, meeting } = await authorizedMeeting(req, res, ROUTE_ACTIONS.meeting);
    res.json(presentMeeting(meeting ?? (await storage.getMeeting(ref, callContext(res)))));
  });

  router.get('/:id/transcript', async (req, res) => {
    const { ref } = await authorizedMeeting(req, res, ROUTE_ACTIONS.transcript);
    const segments = await storage.getTranscript(ref, callContext(res));
    res.json({ meetingId: ref.meetingId, segments: segments.map(presentSegment) });
  });

  router.get('/:id/alerts', async (req, res) => {
    const { ref } = await authorizedMeeting(req, res, ROUTE_ACTIONS.alerts);
    const alerts = await storage.listAlerts(ref, callContext(res));
    res.json({ meetingId: ref.meetingId, alerts: alerts.map(presentAlert) });
  });

  router.get('/:id/report', async (req, res) => {
    const { ref } = await authorizedMeeting(req, res, ROUTE_ACTIONS.report);
    const report = await storage.getReport(ref, callContext(res));
    res.json(presentReport(report));
  });

  router.delete('/:id', async (req, res) => {
    const { reason } = unwrap(parseDeleteBody(req.body));
    const { ref } = await authorizedMeeting(req, res, ROUTE_ACTIONS.delete);
    const requestedBy = subjectOf(res).id;
    const erased = await lifecycle.deleteMeeting({ ...ref, requestedBy, reason }, callContext(res));
    if (!records) {
      res.json(presentErasure(erased));
      return;
    }
    const issued = await latestCertificate(records, ref, res);
    res.json({ ...presentErasure(erased), certificateId: issued?.certificateId ?? null, certificate: issued?.certificate ?? null });
  });

  /**
   * POST /:id/restore: an archived meeting back into the normal APIs (admins, owners; MFA).
   * Archived meetings are not served by storage, so the decision is on the tenant's meeting id
   * (owner unknown) and comes first: a refused caller learns nothing.
   */
  router.post('/:id/restore', async (req, res) => {
    const { reason } = unwrap(parseDeleteBody(req.body));
    const ref = meetingRef(req, res);
    await authorize(access, res, ROUTE_ACTIONS.restore, { tenant: ref.tenantId, meeting: ref.meetingId, owner: '', kind: 'meeting' });
    const restored = await lifecycle.restoreMeeting({ ...ref, reason }, callContext(res));
    res.json({ meetingId: restored.meetingId, restored: true, restoredAt: new Date(Number(restored.restoredAtUnixMs)).toISOString() });
  });

  return router;
}
