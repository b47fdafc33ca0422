import request from 'supertest';
import { MeetingStatus, type Meeting } from '@confide/contracts';
import {
  createLogger,
  DevIssuer,
  generateServiceKeyPair,
  InMemoryGrantStore,
  OidcVerifier,
  PolicyEvaluator,
  SubjectAssertionSigner,
  SubjectAssertionVerifier,
  type MintOptions,
} from '@confide/platform';
import { createGatewayApp, type GatewayAppDeps } from '../../src/adapters/http/gateway.app';
import { FakeAuditor, FakeLifecycle, FakeStorage } from '../support/fakes';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const meeting = (meetingId: string, tenantId: string, ownerId: string): Meeting & { ownerId: string } => ({
  meetingId,
  tenantId,
  ownerId,
  title: `title of ${meetingId}`,
  participants: [],
  status: MeetingStatus.MEETING_STATUS_ENDED,
  startedAtUnixMs: NOW - 60_000,
  endedAtUnixMs: NOW,
  segmentCount: 0,
});

let issuer: DevIssuer;
let evaluator: PolicyEvaluator;
const silent = createLogger({ service: 'test', level: 'silent' });

beforeAll(async () => {
  issuer = await DevIssuer.start();
  evaluator = await PolicyEvaluator.load({ logger: silent, watch: false });
});
afterAll(async () => {
  evaluator.close();
  await issuer.stop();
});

function setup(extra: Partial<GatewayAppDeps> = {}) {
  const storage = new FakeStorage()
    .add({ meeting: meeting('m-alice', 't1', 'alice'), segments: [], alerts: [] })
    .add({ meeting: meeting('m-bob', 't1', 'bob'), segments: [], alerts: [] })
    .add({ meeting: meeting('m-t2', 't2', 'carol'), segments: [], alerts: [] });
  const lifecycle = new FakeLifecycle();
  const auditor = new FakeAuditor();
  const grants = new InMemoryGrantStore();
  const app = createGatewayApp({
    storage,
    lifecycle,
    logger: silent,
    authenticator: new OidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl }),
    evaluator,
    auditor,
    grants,
    clock: { now: () => NOW },
    ...extra,
  });
  return { app, storage, lifecycle, auditor, grants };
}

const bearer = async (mint: MintOptions) => ({ Authorization: `Bearer ${await issuer.mint(mint)}` });
const member = (sub = 'alice') => bearer({ sub, tenant: 't1', roles: ['member'] });

describe('gateway authentication', () => {
  it('401 with WWW-Authenticate when the token is missing, and storage is not called', async () => {
    const { app, storage } = setup();
    const res = await request(app).get('/api/meetings');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="confide"');
    expect(res.body.error).toMatchObject({ code: 'unauthenticated', message: 'a bearer token is required' });
    expect(storage.calls).toHaveLength(0);
  });

  it.each([
    ['not a bearer token', async () => 'Basic dXNlcjpwYXNz'],
    ['malformed', async () => 'Bearer abc'],
    ['expired', async () => `Bearer ${await issuer.mint({ sub: 'alice', tenant: 't1', roles: ['member'], expiresInSec: -300 })}`],
    ['for another audience', async () => `Bearer ${await issuer.mint({ sub: 'alice', tenant: 't1', roles: ['member'], audience: 'other' })}`],
  ])('401 invalid_token when the token is %s', async (_name, header) => {
    const { app, storage } = setup();
    const res = await request(app).get('/api/meetings').set('Authorization', await header());
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="confide", error="invalid_token"');
    expect(res.body.error.code).toBe('unauthenticated');
    expect(storage.calls).toHaveLength(0);
  });

  it('takes the tenant from the token: X-Confide-Tenant cannot switch a user to another tenant', async () => {
    const { app, storage } = setup();
    const res = await request(app).get('/api/meetings').set(await member()).set('X-Confide-Tenant', 't2');
    expect(res.status).toBe(200);
    expect(res.body.meetings.map((m: { meetingId: string }) => m.meetingId)).toEqual(['m-alice', 'm-bob']);
    expect(storage.calls[0]).toMatchObject({ method: 'listMeetings', tenantId: 't1' });
  });

  it('passes a verifiable subject assertion downstream when a signer is configured', async () => {
    const keys = await generateServiceKeyPair();
    const { app, storage } = setup({ assertionSigner: new SubjectAssertionSigner({ service: 'gateway', privateKey: keys.privateKey, alg: keys.alg }) });
    expect((await request(app).get('/api/meetings/m-alice').set(await member())).status).toBe(200);
    const assertion = storage.calls[0]?.ctx.subjectAssertion;
    const verified = await new SubjectAssertionVerifier({ trustedServices: { gateway: keys.publicKey } }).verify(assertion);
    expect(verified).toMatchObject({ caller: { service: 'gateway' }, subject: { id: 'alice', tenant: 't1', roles: ['member'] } });
  });
});

describe('gateway authorization', () => {
  it('a member reads their own meeting (audited) and gets 403 forbidden on a colleague\'s, revealing nothing', async () => {
    const { app, auditor, storage } = setup();
    const own = await request(app).get('/api/meetings/m-alice/transcript').set(await member());
    expect(own.status).toBe(200);
    const other = await request(app).get('/api/meetings/m-bob/transcript').set(await member());
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({ code: 'forbidden', message: 'the request is not permitted' });
    expect(other.text).not.toMatch(/owner|bob|title/);
    expect(storage.calls.filter((c) => c.method === 'getTranscript').map((c) => c.meetingId)).toEqual(['m-alice']);
    expect(auditor.records.map((r) => [r.decision.allow, r.input.resourceMeeting, r.input.subjectId])).toEqual([
      [true, 'm-alice', 'alice'],
      [false, 'm-bob', 'alice'],
    ]);
  });

  it('another tenant\'s meeting is not found', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/meetings/m-t2').set(await bearer({ sub: 'admin1', tenant: 't1', roles: ['admin'] }));
    expect(res.status).toBe(404);
  });

  it('delete needs MFA; the requester is the subject', async () => {
    const { app, lifecycle } = setup();
    const noMfa = await request(app).delete('/api/meetings/m-bob').set(await bearer({ sub: 'admin1', tenant: 't1', roles: ['admin'] }));
    expect(noMfa.status).toBe(403);
    expect(lifecycle.deletions).toHaveLength(0);
    const mfa = await request(app).delete('/api/meetings/m-bob').set(await bearer({ sub: 'admin1', tenant: 't1', roles: ['admin'], mfa: true }));
    expect(mfa.status).toBe(200);
    expect(lifecycle.deletions[0]?.command).toMatchObject({ tenantId: 't1', meetingId: 'm-bob', requestedBy: 'admin1' });
  });

  it('an auditor lists meetings but cannot read content', async () => {
    const { app } = setup();
    const headers = await bearer({ sub: 'aud', tenant: 't1', roles: ['auditor'] });
    expect((await request(app).get('/api/meetings').set(headers)).status).toBe(200);
    expect((await request(app).get('/api/meetings/m-bob/report').set(headers)).status).toBe(403);
  });

  it('staff: 400 without a target tenant, 403 without a grant (storage untouched), 200 with an approved grant', async () => {
    const { app, grants, storage, auditor } = setup();
    const staff = await bearer({ sub: 's1', staff: true, mfa: true });
    expect((await request(app).get('/api/meetings/m-bob').set(staff)).status).toBe(400);
    expect((await request(app).get('/api/meetings/m-bob').set(staff).set('X-Confide-Tenant', 't1')).status).toBe(403);
    expect(storage.calls).toHaveLength(0);
    grants.add({
      id: 'g-1', tenant: 't1', staff_id: 's1', scope: 'tenant', meeting: '', reason: 'ticket 42',
      approved_by: 'admin1', approved_at: NOW - 3_600_000, expires_at: NOW + 3_600_000, revoked: false,
    });
    const res = await request(app).get('/api/meetings/m-bob').set(staff).set('X-Confide-Tenant', 't1');
    expect(res.status).toBe(200);
    expect(auditor.records.at(-1)).toMatchObject({ decision: { allow: true, reasons: ['staff-grant:g-1'], obligations: ['audit', 'staff-access'] } });
    expect((await request(app).get('/api/meetings/m-t2').set(staff).set('X-Confide-Tenant', 't2')).status).toBe(403);
  });

  it('refuses (503) when the access cannot be audited, without reading content', async () => {
    const { app, auditor, storage } = setup();
    auditor.failing = true;
    const res = await request(app).get('/api/meetings/m-alice/transcript').set(await member());
    expect(res.status).toBe(503);
    expect(storage.calls.some((c) => c.method === 'getTranscript')).toBe(false);
  });

  it('refuses to build with an authenticator but no evaluator', () => {
    expect(() => setup({ evaluator: undefined } as unknown as Partial<GatewayAppDeps>)).toThrow('createGatewayApp needs an authenticator and an evaluator');
  });
});
