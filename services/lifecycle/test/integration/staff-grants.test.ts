import { buildPolicyInput, createLogger, PolicyEvaluator, type StaffGrant } from '@confide/platform';
import { PostgresAuditEventStore } from '../../src/adapters/postgres/audit-event.repository';
import { MAX_GRANT_MS } from '../../src/domain/staff-grant';
import { ChainedAuditLog } from '../../src/use-cases/chained-audit-log';
import { ApproveStaffGrant } from '../../src/use-cases/approve-staff-grant.use-case';
import { DenyStaffGrant } from '../../src/use-cases/deny-staff-grant.use-case';
import { ListStaffGrants } from '../../src/use-cases/list-staff-grants.use-case';
import { RequestStaffGrant } from '../../src/use-cases/request-staff-grant.use-case';
import { RevokeStaffGrant } from '../../src/use-cases/revoke-staff-grant.use-case';
import { PostgresStaffGrantRepository } from '../../src/adapters/postgres/staff-grant.repository';
import {
  DB_START_TIMEOUT_MS,
  manualClock,
  openLifecycleDatabase,
  sequentialIds,
  startEmbeddedTestDatabase,
  uniqueTenant,
  type LifecycleTestContext,
} from './support/lifecycle-db';

const HOUR = 60 * 60 * 1000;

describe('staff access grants on PostgreSQL (GrantStore, use cases, policy, RLS)', () => {
  let ctx: LifecycleTestContext;
  let grants: PostgresStaffGrantRepository;
  let events: PostgresAuditEventStore;
  let evaluator: PolicyEvaluator;
  const clock = manualClock();
  let request: RequestStaffGrant;
  let approve: ApproveStaffGrant;
  let deny: DenyStaffGrant;
  let revoke: RevokeStaffGrant;
  let list: ListStaffGrants;

  beforeAll(async () => {
    ctx = await openLifecycleDatabase(await startEmbeddedTestDatabase());
    grants = new PostgresStaffGrantRepository(ctx.app, clock);
    events = new PostgresAuditEventStore(ctx.app);
    const deps = { grants, audit: new ChainedAuditLog(events), clock, ids: sequentialIds('grant') };
    request = new RequestStaffGrant(deps);
    approve = new ApproveStaffGrant(deps);
    deny = new DenyStaffGrant(deps);
    revoke = new RevokeStaffGrant(deps);
    list = new ListStaffGrants(deps);
    evaluator = await PolicyEvaluator.load({ logger: createLogger({ service: 'lifecycle-test', level: 'silent' }), watch: false });
  }, DB_START_TIMEOUT_MS);

  afterAll(async () => {
    await ctx?.dispose();
  });

  /** The real policy deciding a staff read with what the GrantStore returns. */
  async function staffMayRead(tenant: string, staffId: string, meeting: string): Promise<boolean> {
    const input = buildPolicyInput({
      subject: { id: staffId, tenant: '', roles: [], kind: 'staff', mfa: true },
      action: 'transcript:read',
      resource: { tenant, meeting, owner: 'u-owner', kind: 'meeting' },
      now: clock.now(),
      grants: await grants.grantsFor(tenant),
      reason: 'ticket 42',
    });
    return evaluator.evaluate(input).allow;
  }

  it('requires a reason and a valid scope', async () => {
    const tenant = uniqueTenant('g-valid');
    await expect(request.execute({ tenantId: tenant, staffId: 's1', reason: '  ', scope: 'tenant' })).rejects.toMatchObject({ kind: 'invalid-argument', message: 'reason is required' });
    await expect(request.execute({ tenantId: tenant, staffId: 's1', reason: 'r', scope: 'everything' })).rejects.toMatchObject({ kind: 'invalid-argument' });
    await expect(request.execute({ tenantId: tenant, staffId: 's1', reason: 'r', scope: 'meeting' })).rejects.toMatchObject({ kind: 'invalid-argument', message: 'meeting_id is required' });
    await expect(request.execute({ tenantId: tenant, staffId: 's1', reason: 'r', scope: 'tenant', durationMs: MAX_GRANT_MS + 1 })).rejects.toMatchObject({ kind: 'invalid-argument' });
    expect(await list.execute({ tenantId: tenant })).toEqual([]);
  });

  it('request → approve gives time-limited access the policy accepts; revoke ends it; every step is audited', async () => {
    const tenant = uniqueTenant('g-flow');
    const grant = await request.execute({ tenantId: tenant, staffId: 'staff-1', reason: 'ticket 42: transcript missing', scope: 'meeting', meetingId: 'm1', durationMs: 8 * HOUR });
    expect(grant).toMatchObject({ staffId: 'staff-1', scope: 'meeting', meetingId: 'm1', approvedBy: null, expiresAtMs: null });
    expect(await staffMayRead(tenant, 'staff-1', 'm1')).toBe(false); // pending

    await expect(approve.execute({ tenantId: tenant, grantId: grant.id, approvedBy: 'staff-1' })).rejects.toMatchObject({ kind: 'failed-precondition' });
    await expect(approve.execute({ tenantId: tenant, grantId: grant.id, approvedBy: 'u-admin', durationMs: 9 * HOUR })).rejects.toMatchObject({ kind: 'invalid-argument' });
    clock.advance(1000);
    const approved = await approve.execute({ tenantId: tenant, grantId: grant.id, approvedBy: 'u-admin' });
    expect(approved).toMatchObject({ approvedBy: 'u-admin', approvedAtMs: clock.now(), expiresAtMs: clock.now() + 8 * HOUR });
    await expect(approve.execute({ tenantId: tenant, grantId: grant.id, approvedBy: 'u-admin' })).rejects.toMatchObject({ kind: 'failed-precondition' });

    expect(await grants.grantsFor(tenant)).toEqual<StaffGrant[]>([
      { id: grant.id, tenant, staff_id: 'staff-1', scope: 'meeting', meeting: 'm1', reason: 'ticket 42: transcript missing', approved_by: 'u-admin', approved_at: approved.approvedAtMs!, expires_at: approved.expiresAtMs!, revoked: false },
    ]);
    expect(await staffMayRead(tenant, 'staff-1', 'm1')).toBe(true);
    expect(await staffMayRead(tenant, 'staff-1', 'm2')).toBe(false); // other meeting
    expect(await staffMayRead(tenant, 'staff-2', 'm1')).toBe(false); // other staff

    clock.advance(HOUR);
    const revoked = await revoke.execute({ tenantId: tenant, grantId: grant.id, revokedBy: 'u-owner' });
    expect(revoked).toMatchObject({ revokedBy: 'u-owner', revokedAtMs: clock.now() });
    expect(await revoke.execute({ tenantId: tenant, grantId: grant.id, revokedBy: 'u-other' })).toEqual(revoked); // idempotent
    expect(await staffMayRead(tenant, 'staff-1', 'm1')).toBe(false);

    const trail = await events.eventsAfter(tenant, 0, 10);
    expect(trail.map((e) => [e.action, e.actor])).toEqual([
      ['grant:request', 'staff-1'],
      ['grant:approve', 'u-admin'],
      ['grant:revoke', 'u-owner'],
    ]);
    expect(JSON.stringify(trail)).not.toContain('ticket 42'); // the reason stays in the grant
  });

  it('expires at most 72 h after approval (the policy stops allowing, the database refuses longer)', async () => {
    const tenant = uniqueTenant('g-exp');
    const grant = await request.execute({ tenantId: tenant, staffId: 'staff-1', reason: 'incident 7', scope: 'tenant', durationMs: MAX_GRANT_MS });
    const approved = await approve.execute({ tenantId: tenant, grantId: grant.id, approvedBy: 'u-owner' });
    expect(approved.expiresAtMs! - approved.approvedAtMs!).toBe(MAX_GRANT_MS);
    expect(await staffMayRead(tenant, 'staff-1', 'any-meeting')).toBe(true);
    clock.advance(MAX_GRANT_MS);
    expect(await staffMayRead(tenant, 'staff-1', 'any-meeting')).toBe(false);
    expect((await list.execute({ tenantId: tenant }))[0]!.id).toBe(grant.id);

    await expect(
      ctx.asApp(tenant, 'UPDATE staff_grants SET expires_at_ms = approved_at_ms + $2 WHERE tenant_id = $1', [tenant, MAX_GRANT_MS + 1]),
    ).rejects.toThrow(/ck_staff_grants_approval/);
    await expect(
      ctx.asApp(tenant, `UPDATE staff_grants SET approved_by = staff_id WHERE tenant_id = $1`, [tenant]),
    ).rejects.toThrow(/ck_staff_grants_approval/);
  });

  it('deny ends a request for good; stale requests cannot be approved', async () => {
    const tenant = uniqueTenant('g-deny');
    const denied = await request.execute({ tenantId: tenant, staffId: 'staff-1', reason: 'curious', scope: 'tenant' });
    expect(await deny.execute({ tenantId: tenant, grantId: denied.id, deniedBy: 'u-admin' })).toMatchObject({ deniedBy: 'u-admin' });
    await expect(approve.execute({ tenantId: tenant, grantId: denied.id, approvedBy: 'u-admin' })).rejects.toMatchObject({ kind: 'failed-precondition', message: 'grant is denied, not pending' });
    await expect(revoke.execute({ tenantId: tenant, grantId: denied.id, revokedBy: 'u-admin' })).rejects.toMatchObject({ kind: 'failed-precondition' });
    expect(await grants.grantsFor(tenant)).toEqual([]);

    const stale = await request.execute({ tenantId: tenant, staffId: 'staff-1', reason: 'old ticket', scope: 'tenant' });
    clock.advance(MAX_GRANT_MS + 1);
    await expect(approve.execute({ tenantId: tenant, grantId: stale.id, approvedBy: 'u-admin' })).rejects.toMatchObject({ kind: 'failed-precondition', message: 'grant is expired, not pending' });
    await expect(approve.execute({ tenantId: tenant, grantId: 'no-such-grant', approvedBy: 'u-admin' })).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('isolates tenants: grants of A are invisible and untouchable under B', async () => {
    const a = uniqueTenant('g-a');
    const b = uniqueTenant('g-b');
    const grant = await request.execute({ tenantId: a, staffId: 'staff-1', reason: 'ticket', scope: 'tenant' });
    await approve.execute({ tenantId: a, grantId: grant.id, approvedBy: 'u-owner' });
    expect(await grants.grantsFor(b)).toEqual([]);
    expect(await grants.get(b, grant.id)).toBeUndefined();
    await expect(approve.execute({ tenantId: b, grantId: grant.id, approvedBy: 'u-owner-b' })).rejects.toMatchObject({ kind: 'not-found' });
    await expect(revoke.execute({ tenantId: b, grantId: grant.id, revokedBy: 'u-owner-b' })).rejects.toMatchObject({ kind: 'not-found' });
    const raw = await ctx.asApp<{ grant_id: string }>(b, 'SELECT grant_id FROM staff_grants WHERE grant_id = $1', [grant.id]);
    expect(raw).toEqual([]);
    const touched = await ctx.asApp(b, 'UPDATE staff_grants SET revoked_at_ms = 1, revoked_by = $2 WHERE grant_id = $1 RETURNING grant_id', [grant.id, 'x']);
    expect(touched).toEqual([]);
    expect(await staffMayRead(a, 'staff-1', 'm1')).toBe(true);
    expect(await staffMayRead(b, 'staff-1', 'm1')).toBe(false);
  });
});
