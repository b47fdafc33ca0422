import { invalidArgument } from '@confide/platform';

const MAX_ID_LENGTH = 256;
const MAX_REASON_LENGTH = 1000;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** A validated request to erase one meeting. */
export interface MeetingErasureRequest {
  tenantId: string;
  meetingId: string;
  /** Subject that asked (user, service or staff id). */
  requestedBy: string;
  /** Free text; may hold personal data: never logged, kept for the audit log only. */
  reason: string;
}

function requireId(field: string, value: string | undefined): string {
  if (value === undefined || value.length === 0) throw invalidArgument(`${field} is required`);
  if (value.length > MAX_ID_LENGTH || CONTROL_CHARS.test(value)) {
    throw invalidArgument(`${field} must be at most ${MAX_ID_LENGTH} characters without control characters`);
  }
  return value;
}

/** Throws AppError invalid-argument naming the field (never its value). */
export function parseErasureRequest(req: { tenantId?: string; meetingId?: string; requestedBy?: string; reason?: string }): MeetingErasureRequest {
  const reason = req.reason ?? '';
  if (reason.length > MAX_REASON_LENGTH) throw invalidArgument(`reason must be at most ${MAX_REASON_LENGTH} characters`);
  return {
    tenantId: requireId('tenant_id', req.tenantId),
    meetingId: requireId('meeting_id', req.meetingId),
    requestedBy: requireId('requested_by', req.requestedBy),
    reason,
  };
}
