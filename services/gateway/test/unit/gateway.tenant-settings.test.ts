/** The tenant's settings routes: the tenant key (rotation, status) and what processes its meetings. */
import request from 'supertest';
import * as grpc from '@grpc/grpc-js';
import {
  createLogger,
  DevIssuer,
  InMemoryGrantStore,
  OidcVerifier,
  PolicyEvaluator,
  type MintOptions,
} from '@confide/platform';
import { createGatewayApp, type GatewayAppDeps } from '../../src/adapters/http/gateway.app';
import { fromDownstream } from '../../src/adapters/grpc/downstream-error';
import { FakeAuditor, FakeLifecycle, FakeLifecycleRecords, FakeProcessing, FakeStorage, FakeTenantKeys } from '../support/fakes';

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
  const keys = new FakeTenantKeys();
  const processing = new FakeProcessing();
  const auditor = new FakeAuditor();
  const app = createGatewayApp({
    processing,
    storage: new FakeStorage(),
    lifecycle: new FakeLifecycle(),
    records: new FakeLifecycleRecords(),
    tenantKeys: keys,
    logger: silent,
    authenticator: new OidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl }),
    evaluator,
    auditor,
    grants: new InMemoryGrantStore(),
    clock: { now: () => NOW },
    ...extra,
  });
  return { app, keys, auditor, processing };
}

const bearer = async (mint: MintOptions) => ({ Authorization: `Bearer ${await issuer.mint(mint)}` });
const user = (roles: string[], mfa: boolean, tenant = 't1') => bearer({ sub: 'u1', tenant, roles, mfa });
const FORBIDDEN = { code: 'forbidden', message: 'the request is not permitted' };

describe('gateway: POST /api/tenant/keys/rotate', () => {
  it('owners and admins with MFA rotate their own tenant key (202), audited', async () => {
    const { app, keys, auditor } = setup();
    for (const role of ['owner', 'admin']) {
      const res = await request(app).post('/api/tenant/keys/rotate').set(await user([role], true));
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ rotated: true, rewrapStarted: true });
    }
    expect(keys.calls.map((c) => [c.method, c.tenantId])).toEqual([
      ['rotate', 't1'],
      ['rotate', 't1'],
    ]);
    expect(auditor.records.map((r) => [r.input.action, r.decision.allow, r.input.resourceTenant])).toEqual([
      ['tenant-key:rotate', true, 't1'],
      ['tenant-key:rotate', true, 't1'],
    ]);
  });

  it('members, auditors and MFA-less admins are refused with nothing revealed and nothing called; no token is 401', async () => {
    const { app, keys } = setup();
    for (const headers of [await user(['admin'], false), await user(['owner'], false), await user(['member'], true), await user(['auditor'], true)]) {
      const res = await request(app).post('/api/tenant/keys/rotate').set(headers);
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject(FORBIDDEN);
    }
    expect((await request(app).post('/api/tenant/keys/rotate')).status).toBe(401);
    expect(keys.calls).toEqual([]);
  });

  it('refuses the rotation when its decision cannot be audited (503)', async () => {
    const { app, keys, auditor } = setup();
    auditor.failing = true;
    expect((await request(app).post('/api/tenant/keys/rotate').set(await user(['admin'], true))).status).toBe(503);
    expect(keys.calls).toEqual([]);
  });

  it('storage without a KMS to rotate with answers FAILED_PRECONDITION: 409 failed_precondition', async () => {
    const { app, keys } = setup();
    keys.failWith = fromDownstream('storage', Object.assign(new Error('9 FAILED_PRECONDITION: x'), { code: grpc.status.FAILED_PRECONDITION, details: 'this storage instance has no KMS to rotate keys with', metadata: new grpc.Metadata() }));
    const res = await request(app).post('/api/tenant/keys/rotate').set(await user(['admin'], true));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('failed_precondition');
  });
});

describe('gateway: GET /api/tenant/keys', () => {
  it('admins read the status (settings:read, no MFA needed)', async () => {
    const { app, keys } = setup();
    const res = await request(app).get('/api/tenant/keys').set(await user(['admin'], false));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      versions: [
        { version: 1, dataKeys: 3 },
        { version: 2, dataKeys: 5 },
      ],
      rewrapRunning: true,
    });
    expect(keys.calls.map((c) => [c.method, c.tenantId])).toEqual([['status', 't1']]);
  });

  it('members and auditors are refused; staff without a grant too', async () => {
    const { app, keys } = setup();
    for (const headers of [await user(['member'], true), await user(['auditor'], true)]) {
      expect((await request(app).get('/api/tenant/keys').set(headers)).status).toBe(403);
    }
    const staff = await bearer({ sub: 's1', staff: true, mfa: true });
    expect((await request(app).get('/api/tenant/keys').set(staff).set('X-Confide-Tenant', 't1')).status).toBe(403);
    expect(keys.calls).toEqual([]);
  });

  it('is not served without a tenant-keys port (404)', async () => {
    const { app } = setup({ tenantKeys: undefined });
    expect((await request(app).get('/api/tenant/keys').set(await user(['admin'], true))).status).toBe(404);
  });
});

describe('gateway: GET /api/tenant/processing', () => {
  it("owners and admins read what processes their tenant's meetings (settings:read)", async () => {
    const { app, processing } = setup();
    for (const role of ['owner', 'admin']) {
      const res = await request(app).get('/api/tenant/processing').set(await user([role], false));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        transcription: { engine: 'pocketsphinx', language: 'en-US', destination: 'local' },
        insights: { reportEngine: 'extractive-v1', alertRules: [{ ruleId: 'rule-of-t1', description: 'Payment card number shared', kind: 'pii' }] },
      });
    }
    expect(processing.calls.map((c) => c.tenantId)).toEqual(['t1', 't1']);
  });

  it('members, auditors and staff are refused and nothing is asked; another tenant is never named', async () => {
    const { app, processing } = setup();
    for (const headers of [await user(['member'], true), await user(['auditor'], true)]) {
      expect((await request(app).get('/api/tenant/processing').set(headers)).status).toBe(403);
    }
    const staff = await bearer({ sub: 's1', staff: true, mfa: true });
    expect((await request(app).get('/api/tenant/processing').set(staff).set('X-Confide-Tenant', 't1')).status).toBe(403);
    expect(processing.calls).toEqual([]);
    // An admin's X-Confide-Tenant does not move them: they act in the token's tenant.
    expect((await request(app).get('/api/tenant/processing').set(await user(['admin'], false, 't2')).set('X-Confide-Tenant', 't1')).status).toBe(200);
    expect(processing.calls.map((c) => c.tenantId)).toEqual(['t2']);
  });

  it("maps a service's refusal and is not served without a processing port (404)", async () => {
    const { app, processing } = setup();
    processing.failWith = fromDownstream('insights', Object.assign(new Error('7 PERMISSION_DENIED: x'), { code: grpc.status.PERMISSION_DENIED, details: 'the call is not permitted', metadata: new grpc.Metadata() }));
    expect((await request(app).get('/api/tenant/processing').set(await user(['admin'], false))).status).toBe(403);
    const { app: without } = setup({ processing: undefined });
    expect((await request(app).get('/api/tenant/processing').set(await user(['member'], false))).status).toBe(403);
    expect((await request(without).get('/api/tenant/processing').set(await user(['admin'], true))).status).toBe(404);
  });
});
