import { failedPrecondition, invalidArgument, type StaffGrant } from '@confide/platform';

/** Longest validity of a grant after its approval (policies/authz/staff.rego `max_grant_ms`). */
export const MAX_GRANT_MS = 72 * 60 * 60 * 1000;
/** Validity asked for when the request names none. */
export const DEFAULT_GRANT_MS = 24 * 60 * 60 * 1000;
/** A request not decided within this time can no longer be approved. */
export const GRANT_REQUEST_TTL_MS = MAX_GRANT_MS;

const MAX_ID_LENGTH = 256;
const MAX_REASON_LENGTH = 1000;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export type GrantScope = 'tenant' | 'meeting';
export type GrantStatus = 'pending' | 'approved' | 'denied' | 'revoked' | 'expired';

/** A stored staff-access grant (times unix ms; null = not happened). */
export interface StaffGrantRecord {
  id: string;
  tenantId: string;
  staffId: string;
  /** Why staff needs access: required, free text (may hold personal data; never logged). */
  reason: string;
  scope: GrantScope;
  /** "" for scope tenant. */
  meetingId: string;
  requestedAtMs: number;
  /** How long the requester asked for, ≤ MAX_GRANT_MS. */
  requestedDurationMs: number;
  approvedBy: string | null;
  approvedAtMs: number | null;
  deniedBy: string | null;
  deniedAtMs: number | null;
  revokedBy: string | null;
  revokedAtMs: number | null;
  /** approvedAtMs + min(requestedDurationMs, MAX_GRANT_MS); null until approved. */
  expiresAtMs: number | null;
}

export function grantStatus(g: StaffGrantRecord, nowMs: number): GrantStatus {
  if (g.deniedAtMs !== null) return 'denied';
  if (g.revokedAtMs !== null) return 'revoked';
  if (g.approvedAtMs === null) return nowMs - g.requestedAtMs > GRANT_REQUEST_TTL_MS ? 'expired' : 'pending';
  return g.expiresAtMs !== null && nowMs < g.expiresAtMs ? 'approved' : 'expired';
}

/** The policy's view (`context.grants`): a pending grant has no approver, a denied one counts as revoked. */
export function toPolicyGrant(g: StaffGrantRecord): StaffGrant {
  return {
    id: g.id,
    tenant: g.tenantId,
    staff_id: g.staffId,
    scope: g.scope,
    meeting: g.meetingId,
    reason: g.reason,
    approved_by: g.approvedBy ?? '',
    approved_at: g.approvedAtMs ?? 0,
    expires_at: g.expiresAtMs ?? 0,
    revoked: g.revokedAtMs !== null || g.deniedAtMs !== null,
  };
}

export function requireId(field: string, value: string | undefined): string {
  if (value === undefined || value.length === 0) throw invalidArgument(`${field} is required`);
  if (value.length > MAX_ID_LENGTH || CONTROL_CHARS.test(value)) {
    throw invalidArgument(`${field} must be at most ${MAX_ID_LENGTH} characters without control characters`);
  }
  return value;
}

export interface GrantRequestInput {
  tenantId?: string;
  staffId?: string;
  reason?: string;
  scope?: string;
  meetingId?: string;
  durationMs?: number;
}

export interface ValidGrantRequest {
  tenantId: string;
  staffId: string;
  reason: string;
  scope: GrantScope;
  meetingId: string;
  durationMs: number;
}

/** Throws AppError invalid-argument naming the field (never its value). */
export function parseGrantRequest(req: GrantRequestInput): ValidGrantRequest {
  const tenantId = requireId('tenant_id', req.tenantId);
  const staffId = requireId('staff_id', req.staffId);
  const reason = (req.reason ?? '').trim();
  if (reason.length === 0) throw invalidArgument('reason is required');
  if (reason.length > MAX_REASON_LENGTH) throw invalidArgument(`reason must be at most ${MAX_REASON_LENGTH} characters`);
  if (req.scope !== 'tenant' && req.scope !== 'meeting') throw invalidArgument('scope must be tenant or meeting');
  let meetingId = '';
  if (req.scope === 'meeting') meetingId = requireId('meeting_id', req.meetingId);
  else if (req.meetingId) throw invalidArgument('meeting_id must be empty for scope tenant');
  const durationMs = req.durationMs === undefined || req.durationMs === 0 ? DEFAULT_GRANT_MS : req.durationMs;
  if (!Number.isSafeInteger(durationMs) || durationMs <= 0 || durationMs > MAX_GRANT_MS) {
    throw invalidArgument(`duration must be between 1 ms and ${MAX_GRANT_MS} ms (72 h)`);
  }
  return { tenantId, staffId, reason, scope: req.scope, meetingId, durationMs };
}

/** The expiry set at approval: never more than 72 h after it. */
export function expiryOnApproval(g: StaffGrantRecord, approvedAtMs: number, durationMs?: number): number {
  const asked = durationMs === undefined || durationMs === 0 ? g.requestedDurationMs : durationMs;
  if (!Number.isSafeInteger(asked) || asked <= 0) throw invalidArgument('duration must be positive');
  return approvedAtMs + Math.min(asked, g.requestedDurationMs, MAX_GRANT_MS);
}

/** Only a pending request can be approved or denied, and never by the staff member it is for. */
export function assertDecidable(g: StaffGrantRecord, deciderId: string, nowMs: number): void {
  const status = grantStatus(g, nowMs);
  if (status !== 'pending') throw failedPrecondition(`grant is ${status}, not pending`);
  if (deciderId === g.staffId) throw failedPrecondition('a grant cannot be decided by the staff member it is for');
}
