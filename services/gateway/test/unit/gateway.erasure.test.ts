import request from 'supertest';
import {
  createLogger,
  DevIssuer,
  InMemoryGrantStore,
  OidcVerifier,
  PolicyEvaluator,
  unavailable,
  type MintOptions,
} from '@confide/platform';
import { createGatewayApp, type GatewayAppDeps } from '../../src/adapters/http/gateway.app';
import { CERTIFICATE_KEYS_PATH } from '../../src/adapters/http/certificate-keys.route';
import { FakeAuditor, FakeLifecycle, FakeLifecycleRecords, FakeStorage } from '../support/fakes';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const silent = createLogger({ service: 'test', level: 'silent' });
let issuer: DevIssuer;
let evaluator: PolicyEvaluator;

beforeAll(async () => {
  issuer = await DevIssuer.start();
  evaluator = await PolicyEvaluator.load({ logger: silent, watch: false });
});
afterAll(async () => {
  evaluator.close();
  await issuer.stop();
});

function setup(extra: Partial<GatewayAppDeps> = {}) {
  const lifecycle = new FakeLifecycle();
  const records = new FakeLifecycleRecords();
  const auditor = new FakeAuditor();
  const app = createGatewayApp({
    storage: new FakeStorage(),
    lifecycle,
    records,
    logger: silent,
    authenticator: new OidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl }),
    evaluator,
    auditor,
    grants: new InMemoryGrantStore(),
    clock: { now: () => NOW },
    ...extra,
  });
  return { app, lifecycle, records, auditor };
}

const bearer = async (mint: MintOptions) => ({ Authorization: `Bearer ${await issuer.mint(mint)}` });
const user = (roles: string[], mfa: boolean, sub = 'u1', tenant = 't1') => bearer({ sub, tenant, roles, mfa });
const FORBIDDEN = { code: 'forbidden', message: 'the request is not permitted' };

describe('gateway: DELETE /api/tenant/data', () => {
  it('owners with MFA erase their own tenant: 200 with the certificate when the purge finished', async () => {
    const { app, lifecycle, auditor } = setup();
    const res = await request(app).delete('/api/tenant/data').set(await user(['owner'], true, 'u-owner')).send({ reason: 'offboarding' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      tenantId: 't1',
      cryptoErased: true,
      cryptoErasedAt: '2026-01-01T00:00:00.000Z',
      purge: { status: 'completed' },
      erased: { segments: 30, dataKeys: 2 },
      certificateId: 'c-1',
      certificate: { certificate_id: 'c-1' },
    });
    expect(lifecycle.calls).toEqual([expect.objectContaining({ method: 'eraseTenant', command: { tenantId: 't1', reason: 'offboarding' } })]);
    expect(auditor.records.map((r) => r.input.action)).toEqual(['tenant-data:delete']);
  });

  it('202 when the purge continues in the background, saying so; the key is already destroyed', async () => {
    const { app, lifecycle } = setup();
    lifecycle.tenantPurgeCompleted = false;
    const res = await request(app).delete('/api/tenant/data').set(await user(['owner'], true));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ cryptoErased: true, purge: { status: 'in-progress', completedAt: null }, certificateId: null, certificate: null });
    expect(res.body.purge.note).toMatch(/background/);
  });

  it('admins, auditors, members, MFA-less owners are refused with nothing revealed and nothing called', async () => {
    const { app, lifecycle } = setup();
    for (const headers of [await user(['admin'], true), await user(['auditor'], true), await user(['member'], true), await user(['owner'], false)]) {
      const res = await request(app).delete('/api/tenant/data').set(headers);
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject(FORBIDDEN);
    }
    expect(lifecycle.calls).toEqual([]);
    expect((await request(app).delete('/api/tenant/data')).status).toBe(401);
  });

  it('refuses the erasure when its decision cannot be audited (503)', async () => {
    const { app, lifecycle, auditor } = setup();
    auditor.failing = true;
    const res = await request(app).delete('/api/tenant/data').set(await user(['owner'], true));
    expect(res.status).toBe(503);
    expect(lifecycle.calls).toEqual([]);
  });
});

describe('gateway: DELETE /api/users/:id/data', () => {
  it('admins and owners with MFA erase a user\'s data and get the certificate', async () => {
    const { app, lifecycle } = setup();
    const res = await request(app).delete('/api/users/u-7/data').set(await user(['admin'], true));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ userId: 'u-7', meetingsAffected: 1, erased: { segments: 4, alerts: 1 }, certificateId: 'c-1' });
    expect(lifecycle.calls[0]).toMatchObject({ method: 'eraseUserData', command: { tenantId: 't1', userId: 'u-7', reason: '' } });
  });

  it('members (even for themselves), auditors and MFA-less admins are refused; bad ids are 400', async () => {
    const { app, lifecycle } = setup();
    expect((await request(app).delete('/api/users/u1/data').set(await user(['member'], true))).status).toBe(403);
    expect((await request(app).delete('/api/users/u-7/data').set(await user(['auditor'], true))).status).toBe(403);
    expect((await request(app).delete('/api/users/u-7/data').set(await user(['admin'], false))).status).toBe(403);
    expect((await request(app).delete('/api/users/bad%20id/data').set(await user(['admin'], true))).status).toBe(400);
    expect(lifecycle.calls).toEqual([]);
  });
});

describe('gateway: POST /api/meetings/:id/restore and /api/tenant/retention', () => {
  it('admins with MFA restore an archived meeting; members and MFA-less admins cannot', async () => {
    const { app, lifecycle } = setup();
    const res = await request(app).post('/api/meetings/m1/restore').set(await user(['admin'], true)).send({ reason: 'legal hold' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ meetingId: 'm1', restored: true, restoredAt: '2026-01-01T00:00:00.000Z' });
    expect((await request(app).post('/api/meetings/m1/restore').set(await user(['member'], true))).status).toBe(403);
    expect((await request(app).post('/api/meetings/m1/restore').set(await user(['admin'], false))).status).toBe(403);
    expect(lifecycle.calls.map((c) => c.method)).toEqual(['restoreMeeting']);
  });

  it('reads the retention policy (admins) and sets it (admins with MFA), validating the body', async () => {
    const { app, lifecycle } = setup();
    const read = await request(app).get('/api/tenant/retention').set(await user(['admin'], false));
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ days: 90, action: 'delete', isDefault: true, updatedAt: null, updatedBy: null });
    expect((await request(app).put('/api/tenant/retention').set(await user(['admin'], false)).send({ days: 30, action: 'archive' })).status).toBe(403);
    expect((await request(app).put('/api/tenant/retention').set(await user(['admin'], true)).send({ days: 0, action: 'archive' })).status).toBe(400);
    expect((await request(app).put('/api/tenant/retention').set(await user(['admin'], true)).send({ days: 30, action: 'shred' })).status).toBe(400);
    const set = await request(app).put('/api/tenant/retention').set(await user(['admin'], true)).send({ days: 30, action: 'archive' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ days: 30, action: 'archive', isDefault: false, updatedBy: 'u-admin' });
    expect((await request(app).get('/api/tenant/retention').set(await user(['member'], false))).status).toBe(403);
    expect(lifecycle.calls.map((c) => c.method)).toEqual(['getRetentionPolicy', 'setRetentionPolicy']);
  });
});

describe('gateway: GET /api/audit', () => {
  it('pages the tenant\'s entries for auditors and admins; members are refused', async () => {
    const { app, records } = setup();
    const first = await request(app).get('/api/audit?pageSize=2').set(await user(['auditor'], false));
    expect(first.status).toBe(200);
    expect(first.body.entries.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
    expect(first.body.entries[0]).toMatchObject({ actor: 'u-admin', action: 'transcript:read', decision: 'allow', outcome: null, hash: '1'.repeat(64) });
    expect(first.body.nextAfter).toBe(2);
    const second = await request(app).get('/api/audit?pageSize=2&after=2').set(await user(['admin'], false));
    expect(second.body).toMatchObject({ entries: [{ seq: 3 }], nextAfter: null });
    expect(records.calls.filter((c) => c.method === 'listAuditEvents').map((c) => c.tenantId)).toEqual(['t1', 't1']);
    expect((await request(app).get('/api/audit').set(await user(['member'], true))).status).toBe(403);
    expect((await request(app).get('/api/audit?after=-1').set(await user(['auditor'], false))).status).toBe(400);
  });
});

describe('gateway: GET /.well-known/confide/certificate-keys', () => {
  it('publishes the public keys without authentication, cached (one lifecycle call per TTL)', async () => {
    const { app, records } = setup();
    const res = await request(app).get(CERTIFICATE_KEYS_PATH);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toMatch(/^public, max-age=\d+/);
    expect(res.body).toMatchObject({ key_name: 'confide-signing', algorithm: 'ed25519', keys: [{ version: 1, created_at: '2026-01-01T00:00:00.000Z' }] });
    await Promise.all([1, 2, 3].map(() => request(app).get(CERTIFICATE_KEYS_PATH).expect(200)));
    expect(records.calls.filter((c) => c.method === 'signingKeys')).toHaveLength(1);
  });

  it('an unavailable lifecycle is a 503 and is retried on the next request', async () => {
    const { app, records } = setup();
    records.failWith = unavailable('down');
    expect((await request(app).get(CERTIFICATE_KEYS_PATH)).status).toBe(503);
    records.failWith = undefined;
    expect((await request(app).get(CERTIFICATE_KEYS_PATH)).status).toBe(200);
  });
});
