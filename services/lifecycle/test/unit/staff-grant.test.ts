import { DEFAULT_GRANT_MS, MAX_GRANT_MS, expiryOnApproval, grantStatus, parseGrantRequest, toPolicyGrant, type StaffGrantRecord } from '../../src/domain/staff-grant';
import { defaultRetentionPolicy, parseRetention } from '../../src/domain/retention-policy';

const pending: StaffGrantRecord = {
  id: 'g1', tenantId: 't1', staffId: 's1', reason: 'ticket', scope: 'tenant', meetingId: '', requestedAtMs: 0, requestedDurationMs: DEFAULT_GRANT_MS,
  approvedBy: null, approvedAtMs: null, deniedBy: null, deniedAtMs: null, revokedBy: null, revokedAtMs: null, expiresAtMs: null,
};

describe('staff grant rules', () => {
  it('parses requests: reason required, scope and meeting consistent, duration ≤ 72 h', () => {
    expect(parseGrantRequest({ tenantId: 't1', staffId: 's1', reason: ' why ', scope: 'tenant' })).toEqual({ tenantId: 't1', staffId: 's1', reason: 'why', scope: 'tenant', meetingId: '', durationMs: DEFAULT_GRANT_MS });
    expect(() => parseGrantRequest({ tenantId: 't1', staffId: 's1', reason: 'why', scope: 'tenant', meetingId: 'm1' })).toThrow('meeting_id must be empty');
    expect(() => parseGrantRequest({ tenantId: 't1', staffId: 's1', reason: 'why', scope: 'meeting', meetingId: 'm1', durationMs: MAX_GRANT_MS + 1 })).toThrow('duration');
    expect(() => parseGrantRequest({ tenantId: '', staffId: 's1', reason: 'why', scope: 'tenant' })).toThrow('tenant_id is required');
  });

  it('caps the expiry at 72 h after approval and at what was requested', () => {
    expect(expiryOnApproval({ ...pending, requestedDurationMs: MAX_GRANT_MS }, 100)).toBe(100 + MAX_GRANT_MS);
    expect(expiryOnApproval(pending, 100, 1000)).toBe(1100);
    expect(expiryOnApproval(pending, 100, MAX_GRANT_MS * 2)).toBe(100 + DEFAULT_GRANT_MS);
  });

  it('derives the status and the policy view', () => {
    expect(grantStatus(pending, 1)).toBe('pending');
    expect(grantStatus(pending, MAX_GRANT_MS + 1)).toBe('expired');
    const approved = { ...pending, approvedBy: 'u1', approvedAtMs: 10, expiresAtMs: 20 };
    expect(grantStatus(approved, 19)).toBe('approved');
    expect(grantStatus(approved, 20)).toBe('expired');
    expect(grantStatus({ ...approved, revokedBy: 'u1', revokedAtMs: 15 }, 16)).toBe('revoked');
    expect(toPolicyGrant(pending)).toMatchObject({ approved_by: '', approved_at: 0, expires_at: 0, revoked: false });
    expect(toPolicyGrant({ ...pending, deniedBy: 'u1', deniedAtMs: 5 }).revoked).toBe(true);
  });

  it('retention defaults to 90 days, delete; bounds are enforced', () => {
    expect(defaultRetentionPolicy('t1')).toMatchObject({ days: 90, action: 'delete', isDefault: true });
    expect(parseRetention({})).toEqual({ days: 90, action: 'delete' });
    expect(() => parseRetention({ days: 3651 })).toThrow('days');
    expect(() => parseRetention({ action: 'keep' })).toThrow('action');
  });
});
