import { AccessGrantScope, AccessGrantStatus, type AccessGrant, type GetSigningKeysResponse } from '@confide/contracts';

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);
const orNull = (s: string): string | null => (s === '' ? null : s);

const STATUS: Record<number, string> = {
  [AccessGrantStatus.ACCESS_GRANT_STATUS_PENDING]: 'pending',
  [AccessGrantStatus.ACCESS_GRANT_STATUS_APPROVED]: 'approved',
  [AccessGrantStatus.ACCESS_GRANT_STATUS_DENIED]: 'denied',
  [AccessGrantStatus.ACCESS_GRANT_STATUS_REVOKED]: 'revoked',
  [AccessGrantStatus.ACCESS_GRANT_STATUS_EXPIRED]: 'expired',
};

export interface GrantJson {
  grantId: string;
  staffId: string;
  reason: string;
  scope: 'tenant' | 'meeting';
  meetingId: string | null;
  status: string;
  requestedAt: string | null;
  requestedDurationMs: number;
  approvedBy: string | null;
  approvedAt: string | null;
  deniedBy: string | null;
  deniedAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
  expiresAt: string | null;
}

/** A staff-access grant: the reason is shown to the tenant that decides on it; no tenant id. */
export function presentGrant(g: AccessGrant): GrantJson {
  return {
    grantId: g.grantId,
    staffId: g.staffId,
    reason: g.reason,
    scope: g.scope === AccessGrantScope.ACCESS_GRANT_SCOPE_MEETING ? 'meeting' : 'tenant',
    meetingId: orNull(g.meetingId),
    status: STATUS[g.status] ?? 'unknown',
    requestedAt: iso(g.requestedAtUnixMs),
    requestedDurationMs: g.requestedDurationMs,
    approvedBy: orNull(g.approvedBy),
    approvedAt: iso(g.approvedAtUnixMs),
    deniedBy: orNull(g.deniedBy),
    deniedAt: iso(g.deniedAtUnixMs),
    revokedBy: orNull(g.revokedBy),
    revokedAt: iso(g.revokedAtUnixMs),
    expiresAt: iso(g.expiresAtUnixMs),
  };
}

/**
 * The published signing keys in the document form of ADR 0011 (`publishedSigningKeys`), which
 * the offline verifiers of certificates and audit exports take as is.
 */
export function presentSigningKeys(r: GetSigningKeysResponse): {
  key_name: string;
  algorithm: string;
  keys: Array<{ version: number; public_key_pem: string; public_key_base64: string; created_at: string }>;
} {
  return {
    key_name: r.keyName,
    algorithm: r.algorithm,
    keys: r.keys.map((k) => ({ version: k.version, public_key_pem: k.publicKeyPem, public_key_base64: k.publicKeyBase64, created_at: k.createdAt })),
  };
}
