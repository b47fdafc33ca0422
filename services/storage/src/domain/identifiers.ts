import { invalidArgument } from '@confide/platform';

/** Longest tenant, meeting, segment or alert id accepted. */
export const MAX_ID_LENGTH = 256;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** A valid id or undefined; ids are non-empty, at most 256 characters, no control characters. */
export function isValidId(value: string): boolean {
  return value.length > 0 && value.length <= MAX_ID_LENGTH && !CONTROL_CHARS.test(value);
}

/** Returns the id, or throws AppError invalid-argument naming the field (never the value). */
export function requireId(field: string, value: string | undefined): string {
  if (value === undefined || value.length === 0) throw invalidArgument(`${field} is required`);
  if (!isValidId(value)) throw invalidArgument(`${field} must be at most ${MAX_ID_LENGTH} characters without control characters`);
  return value;
}

/** Tenant and meeting of a request, validated. */
export interface MeetingRef {
  tenantId: string;
  meetingId: string;
}

export function requireMeetingRef(req: { tenantId?: string; meetingId?: string }): MeetingRef {
  return { tenantId: requireId('tenant_id', req.tenantId), meetingId: requireId('meeting_id', req.meetingId) };
}
