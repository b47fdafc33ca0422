/**
 * Validation of what callers put in URLs and headers (pure). Ids: 1-128 characters of
 * [A-Za-z0-9._:-], the same rule ingest applies when a meeting starts.
 */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const isWellFormedId = (value: unknown): value is string => typeof value === 'string' && ID_PATTERN.test(value);

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
export const MAX_PAGE_TOKEN_LENGTH = 512;
export const MAX_REASON_LENGTH = 500;

/** A request id taken from X-Request-Id only when it is short and plain; otherwise one is generated. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function parsePageSize(raw: unknown): Parsed<number> {
  if (raw === undefined) return { ok: true, value: DEFAULT_PAGE_SIZE };
  if (typeof raw !== 'string' || !/^\d{1,4}$/.test(raw)) {
    return { ok: false, message: `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}` };
  }
  const value = Number(raw);
  if (value < 1 || value > MAX_PAGE_SIZE) return { ok: false, message: `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}` };
  return { ok: true, value };
}

export function parsePageToken(raw: unknown): Parsed<string> {
  if (raw === undefined) return { ok: true, value: '' };
  if (typeof raw !== 'string' || raw.length > MAX_PAGE_TOKEN_LENGTH || !/^[\x21-\x7e]*$/.test(raw)) {
    return { ok: false, message: `pageToken must be at most ${MAX_PAGE_TOKEN_LENGTH} printable ASCII characters` };
  }
  return { ok: true, value: raw };
}

/** The optional JSON body of DELETE /api/meetings/:id: `{ "reason": "..." }`. */
export function parseDeleteBody(body: unknown): Parsed<{ reason: string }> {
  if (body === undefined || body === null) return { ok: true, value: { reason: '' } };
  if (typeof body !== 'object' || Array.isArray(body)) return { ok: false, message: 'the request body must be a JSON object' };
  const extra = Object.keys(body).filter((k) => k !== 'reason');
  if (extra.length > 0) return { ok: false, message: 'the request body may only contain "reason"' };
  const reason = (body as { reason?: unknown }).reason;
  if (reason === undefined) return { ok: true, value: { reason: '' } };
  if (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH) {
    return { ok: false, message: `reason must be a string of at most ${MAX_REASON_LENGTH} characters` };
  }
  return { ok: true, value: { reason } };
}

/** Longest grant reason (lifecycle's limit). */
export const MAX_GRANT_REASON_LENGTH = 1000;
/** Longest grant (policies/authz/staff.rego `max_grant_ms`). */
export const MAX_GRANT_DURATION_MS = 72 * 60 * 60 * 1000;

export interface GrantRequestBody {
  reason: string;
  scope: 'tenant' | 'meeting';
  meetingId: string;
  durationMs: number;
  /** Staff may name the tenant here instead of X-Confide-Tenant. */
  tenant?: string;
}

const isObject = (body: unknown): body is Record<string, unknown> => typeof body === 'object' && body !== null && !Array.isArray(body);

function parseDuration(raw: unknown): Parsed<number> {
  if (raw === undefined) return { ok: true, value: 0 };
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw <= 0 || raw > MAX_GRANT_DURATION_MS) {
    return { ok: false, message: `durationMs must be an integer from 1 to ${MAX_GRANT_DURATION_MS} (72 h)` };
  }
  return { ok: true, value: raw };
}

/** POST /api/access-grants: `{ reason, scope: "tenant"|"meeting", meetingId?, durationMs?, tenant? }`. */
export function parseGrantRequestBody(body: unknown): Parsed<GrantRequestBody> {
  if (!isObject(body)) return { ok: false, message: 'the request body must be a JSON object' };
  const allowed = new Set(['reason', 'scope', 'meetingId', 'durationMs', 'tenant']);
  if (Object.keys(body).some((k) => !allowed.has(k))) {
    return { ok: false, message: 'the request body may only contain "reason", "scope", "meetingId", "durationMs" and "tenant"' };
  }
  const { reason, scope, meetingId, tenant } = body;
  if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > MAX_GRANT_REASON_LENGTH) {
    return { ok: false, message: `reason is required: a string of at most ${MAX_GRANT_REASON_LENGTH} characters` };
  }
  if (scope !== 'tenant' && scope !== 'meeting') return { ok: false, message: 'scope must be "tenant" or "meeting"' };
  if (scope === 'meeting' && !isWellFormedId(meetingId)) {
    return { ok: false, message: 'meetingId is required for scope "meeting": 1-128 characters of [A-Za-z0-9._:-]' };
  }
  if (scope === 'tenant' && meetingId !== undefined && meetingId !== '') return { ok: false, message: 'meetingId must be empty for scope "tenant"' };
  if (tenant !== undefined && !isWellFormedId(tenant)) return { ok: false, message: 'tenant must be 1-128 characters of [A-Za-z0-9._:-]' };
  const duration = parseDuration(body.durationMs);
  if (!duration.ok) return duration;
  return {
    ok: true,
    value: { reason, scope, meetingId: scope === 'meeting' ? (meetingId as string) : '', durationMs: duration.value, ...(tenant ? { tenant } : {}) },
  };
}

/** POST /api/access-grants/:id/approve: optional `{ durationMs }` (may shorten what was requested). */
export function parseApproveBody(body: unknown): Parsed<{ durationMs: number }> {
  if (body === undefined || body === null) return { ok: true, value: { durationMs: 0 } };
  if (!isObject(body)) return { ok: false, message: 'the request body must be a JSON object' };
  if (Object.keys(body).some((k) => k !== 'durationMs')) return { ok: false, message: 'the request body may only contain "durationMs"' };
  const duration = parseDuration(body.durationMs);
  if (!duration.ok) return duration;
  return { ok: true, value: { durationMs: duration.value } };
}

/** The JSON body of PUT /api/tenant/retention: `{ "days": 1..3650, "action": "archive"|"delete" }`. */
export function parseRetentionBody(body: unknown): Parsed<{ days: number; action: 'archive' | 'delete' }> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, message: 'the request body must be a JSON object with "days" and "action"' };
  }
  const extra = Object.keys(body).filter((k) => k !== 'days' && k !== 'action');
  if (extra.length > 0) return { ok: false, message: 'the request body may only contain "days" and "action"' };
  const { days, action } = body as { days?: unknown; action?: unknown };
  if (typeof days !== 'number' || !Number.isSafeInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
    return { ok: false, message: `days must be an integer from 1 to ${MAX_RETENTION_DAYS}` };
  }
  if (action !== 'archive' && action !== 'delete') return { ok: false, message: 'action must be "archive" or "delete"' };
  return { ok: true, value: { days, action } };
}

/** Longest retention (lifecycle's limit). */
export const MAX_RETENTION_DAYS = 3650;

/** `after` of GET /api/audit: the seq after which the page starts (the previous page's `nextAfter`). */
export function parseAfterSeq(raw: unknown): Parsed<number> {
  if (raw === undefined) return { ok: true, value: 0 };
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return { ok: false, message: 'after must be a non-negative integer' };
  return { ok: true, value: Number(raw) };
}
