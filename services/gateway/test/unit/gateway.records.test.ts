import request from 'supertest';
import { MeetingStatus, type Meeting } from '@confide/contracts';
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

const meeting = (meetingId: string, tenantId: string): Meeting => ({
  meetingId,
  tenantId,
  title: 't',
  participants: [],
  status: MeetingStatus.MEETING_STATUS_ENDED,
  startedAtUnixMs: NOW - 60_000,
  endedAtUnixMs: NOW,
  segmentCount: 0,
});

function setup(extra: Partial<GatewayAppDeps> = {}) {
  const storage = new FakeStorage().add({ meeting: meeting('m1', 't1'), segments: [], alerts: [] });
  const records = new FakeLifecycleRecords();
  const auditor = new FakeAuditor();
  const app = createGatewayApp({
    storage,
    lifecycle: new FakeLifecycle(),
    records,
    logger: silent,
    authenticator: new OidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl }),
    evaluator,
    auditor,
    grants: new InMemoryGrantStore(),
    clock: { now: () => NOW },
    ...extra,
  });
  return { app, storage, records, auditor };
}

const bearer = async (mint: MintOptions) => ({ Authorization: `Bearer ${await issuer.mint(mint)}` });
const user = (roles: string[], mfa: boolean, sub = 'u1', tenant = 't1') => bearer({ sub, tenant, roles, mfa });
const staff = async (sub = 's1') => ({ ...(await bearer({ sub, staff: true, mfa: true })), 'X-Confide-Tenant': 't1' });
const FORBIDDEN = { code: 'forbidden', message: 'the request is not permitted' };

describe('gateway: staff-access grants', () => {
  it('staff request a grant with a reason; the tenant comes from the header (or the body), the staff id from the token', async () => {
    const { app, records, auditor } = setup();
    const res = await request(app)
      .post('/api/access-grants')
      .set(await staff())
      .send({ reason: 'ticket 4711', scope: 'meeting', meetingId: 'm1', durationMs: 3_600_000 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ grantId: 'g-1', scope: 'meeting', meetingId: 'm1', status: 'pending', reason: 'ticket 4711', approvedBy: null });
    expect(res.body).not.toHaveProperty('tenantId');
    expect(records.calls[0]).toMatchObject({ method: 'requestGrant', tenantId: 't1', args: { reason: 'ticket 4711', scope: 'meeting', meetingId: 'm1', durationMs: 3_600_000 } });
    expect(records.calls[0]!.ctx.subjectAssertion).toBeUndefined();
    expect(auditor.records.at(-1)).toMatchObject({ decision: { allow: true, obligations: ['audit', 'staff-access'] }, input: { action: 'grant:request', subjectId: 's1' } });

    const { 'X-Confide-Tenant': _, ...noHeader } = await staff();
    const viaBody = await request(app).post('/api/access-grants').set(noHeader).send({ reason: 'r', scope: 'tenant', tenant: 't1' });
    expect(viaBody.status).toBe(201);
    const conflicting = await request(app).post('/api/access-grants').set(await staff()).send({ reason: 'r', scope: 'tenant', tenant: 't2' });
    expect(conflicting.status).toBe(400);
  });

  it.each([
    ['no reason', { scope: 'tenant' }],
    ['a blank reason', { reason: '  ', scope: 'tenant' }],
    ['no scope', { reason: 'r' }],
    ['a meeting scope without meeting', { reason: 'r', scope: 'meeting' }],
    ['a tenant scope with a meeting', { reason: 'r', scope: 'tenant', meetingId: 'm1' }],
    ['a duration over 72 h', { reason: 'r', scope: 'tenant', durationMs: 72 * 3_600_000 + 1 }],
    ['an unknown field', { reason: 'r', scope: 'tenant', staffId: 'someone-else' }],
  ])('400 for %s, and lifecycle is not called', async (_name, body) => {
    const { app, records } = setup();
    const res = await request(app).post('/api/access-grants').set(await staff()).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_argument');
    expect(records.calls).toHaveLength(0);
  });

  it('tenant users cannot request grants (403, nothing called)', async () => {
    const { app, records } = setup();
    const res = await request(app).post('/api/access-grants').set(await user(['owner'], true)).send({ reason: 'r', scope: 'tenant' });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject(FORBIDDEN);
    expect(records.calls).toHaveLength(0);
  });

  it('only owners/admins with MFA approve, deny and revoke', async () => {
    const { app, records } = setup();
    await request(app).post('/api/access-grants').set(await staff()).send({ reason: 'r', scope: 'tenant' });
    for (const headers of [await user(['member'], true), await user(['auditor'], true), await user(['admin'], false), await staff()]) {
      for (const [method, path] of [
        ['post', '/api/access-grants/g-1/approve'],
        ['post', '/api/access-grants/g-1/deny'],
        ['delete', '/api/access-grants/g-1'],
      ] as const) {
        const res = await request(app)[method](path).set(headers);
        expect(res.status).toBe(403);
        expect(res.body.error).toMatchObject(FORBIDDEN);
      }
    }
    expect(records.calls.map((c) => c.method)).toEqual(['requestGrant']);
    const admin = await user(['admin'], true);
    const approved = await request(app).post('/api/access-grants/g-1/approve').set(admin).send({ durationMs: 60_000 });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', approvedBy: 'admin' });
    expect(records.calls.at(-1)).toMatchObject({ method: 'approveGrant', tenantId: 't1', args: { grantId: 'g-1', durationMs: 60_000 } });
    expect((await request(app).delete('/api/access-grants/g-1').set(admin)).body.status).toBe('revoked');
    expect((await request(app).post('/api/access-grants/g-1/deny').set(await user(['owner'], true))).status).toBe(200);
    expect((await request(app).post('/api/access-grants/g-404/approve').set(admin)).status).toBe(404);
    expect((await request(app).post('/api/access-grants/bad%20id/approve').set(admin)).status).toBe(400);
  });

  it('lists: owners/admins the tenant\'s grants, staff only their own, members nothing', async () => {
    const { app, records } = setup();
    await request(app).post('/api/access-grants').set(await staff()).send({ reason: 'r', scope: 'tenant' });
    const admin = await request(app).get('/api/access-grants?staffId=s9').set(await user(['admin'], false));
    expect(admin.status).toBe(200);
    expect(records.calls.at(-1)).toMatchObject({ method: 'listGrants', tenantId: 't1', args: { staffId: 's9' } });
    const own = await request(app).get('/api/access-grants?staffId=s9').set(await staff('s1'));
    expect(own.status).toBe(200);
    expect(records.calls.at(-1)).toMatchObject({ method: 'listGrants', tenantId: 't1', args: { staffId: 's1' } });
    const calls = records.calls.length;
    const member = await request(app).get('/api/access-grants').set(await user(['member'], true));
    expect(member.status).toBe(403);
    expect(records.calls).toHaveLength(calls);
  });
});

describe('gateway: audit export, certificates, signing keys', () => {
  const document = '{"certificate_id":"c1","signature":"local:v1:x","tenant_id":"t1"}';

  it('streams the audit export as JSON lines to auditors with MFA; members and MFA-less auditors get 403', async () => {
    const { app, records, auditor } = setup();
    records.auditLines = ['{"type":"header"}', '{"seq":1,"type":"event"}', '{"seq":1,"type":"checkpoint"}'];
    const res = await request(app).get('/api/audit/export').set(await user(['auditor'], true));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/jsonl; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toBe(`${records.auditLines.join('\n')}\n`);
    expect(records.calls[0]).toMatchObject({ method: 'exportAuditLog', tenantId: 't1' });
    expect(auditor.records.at(-1)).toMatchObject({ decision: { allow: true }, input: { action: 'audit:export' } });
    for (const headers of [await user(['member'], true), await user(['auditor'], false), await staff()]) {
      const refused = await request(app).get('/api/audit/export').set(headers);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject(FORBIDDEN);
    }
    expect(records.calls).toHaveLength(1);
  });

  it('an export failing before its first line is a JSON error; after it, the response is cut', async () => {
    const { app, records } = setup();
    records.failWith = unavailable('lifecycle down');
    const before = await request(app).get('/api/audit/export').set(await user(['admin'], true));
    expect(before.status).toBe(503);
    expect(before.body.error.code).toBe('unavailable');

    const second = setup();
    second.records.auditLines = ['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}'];
    second.records.failExportAfterFirstChunk = new Error('boom');
    await expect(request(second.app).get('/api/audit/export').set(await user(['admin'], true))).rejects.toThrow();
  });

  it('serves a certificate byte for byte to owners/admins/auditors of its tenant', async () => {
    const { app, records } = setup();
    records.certificates.push({ certificateId: 'c1', tenantId: 't1', meetingId: 'm1', issuedAtUnixMs: NOW, signingKeyVersion: 1, document });
    for (const roles of [['owner'], ['admin'], ['auditor']]) {
      const res = await request(app).get('/api/certificates/c1').set(await user(roles, false));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.text).toBe(document);
    }
    const member = await request(app).get('/api/certificates/c1').set(await user(['member'], true));
    expect(member.status).toBe(403);
    // (The random request id is left out: a UUID may contain "c1" by chance.)
    expect(JSON.stringify({ ...member.body.error, requestId: undefined })).not.toContain('c1');
    // Another tenant's admin asks in their own tenant: not found.
    expect((await request(app).get('/api/certificates/c1').set(await user(['admin'], true, 'x1', 't2'))).status).toBe(404);
  });

  it('publishes the signing keys in the document form the offline verifiers take', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/signing-keys').set(await user(['auditor'], false));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ key_name: 'confide-signing', algorithm: 'ed25519', keys: [{ version: 1, public_key_base64: 'AAAA' }] });
    expect((await request(app).get('/api/signing-keys')).status).toBe(401);
  });

  it('DELETE /api/meetings/:id answers with the certificate of the erasure', async () => {
    const { app, records } = setup();
    records.certificates.push({ certificateId: 'c1', tenantId: 't1', meetingId: 'm1', issuedAtUnixMs: NOW, signingKeyVersion: 1, document });
    const res = await request(app).delete('/api/meetings/m1').set(await user(['admin'], true));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ meetingId: 'm1', certificateId: 'c1', certificate: JSON.parse(document) });
    records.failWith = unavailable('down');
    const noCertificate = await request(app).delete('/api/meetings/m1').set(await user(['admin'], true));
    expect(noCertificate.status).toBe(200);
    expect(noCertificate.body).toMatchObject({ certificateId: null, certificate: null });
  });

  it('without lifecycle records the routes do not exist', async () => {
    const { app } = setup({ records: undefined });
    expect((await request(app).get('/api/signing-keys').set(await user(['admin'], true))).status).toBe(404);
  });
});
