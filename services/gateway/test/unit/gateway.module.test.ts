/**
 * The gateway module as a composition sees it: configuration (OIDC_*, POLICY_WASM_PATH,
 * SUBJECT_ASSERTION_KEY_FILE) turned into the access dependencies at start, against a real
 * DevIssuer (discovery + JWKS over loopback HTTP) and the real policy bundle.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { MeetingStatus } from '@confide/contracts';
import {
  ConfigError,
  createLogger,
  DevIssuer,
  importServicePublicKeyPem,
  loadConfig,
  SubjectAssertionVerifier,
} from '@confide/platform';
import { gatewayConfigSchema } from '../../src/config';
import { createGatewayModule } from '../../src/gateway.module';
import { FakeLifecycle, FakeLifecycleRecords, FakeTenantKeys, FakeStorage } from '../support/fakes';

jest.setTimeout(30_000);

const logger = createLogger({ service: 'gateway-test', level: 'silent' });
const peers = { STORAGE_GRPC_ADDR: 'storage:50055', LIFECYCLE_GRPC_ADDR: 'lifecycle:50056' };

let issuer: DevIssuer;
let dir: string;
let keyFile: string;
let publicPem: string;

beforeAll(async () => {
  issuer = await DevIssuer.start();
  dir = mkdtempSync(path.join(os.tmpdir(), 'gateway-module-'));
  const pair = generateKeyPairSync('ed25519');
  keyFile = path.join(dir, 'gateway.key.pem');
  writeFileSync(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
});
afterAll(async () => {
  await issuer.stop();
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({
  ...peers,
  GATEWAY_HTTP_ADDR: '127.0.0.1:0',
  OIDC_ISSUER: issuer.issuer,
  SUBJECT_ASSERTION_KEY_FILE: keyFile,
  ...extra,
});

function storageWithOneMeeting(tenantId: string): FakeStorage {
  return new FakeStorage().add({
    meeting: {
      meetingId: 'm1',
      tenantId,
      title: 'sync',
      participants: [],
      status: MeetingStatus.MEETING_STATUS_ENDED,
      startedAtUnixMs: 1,
      endedAtUnixMs: 2,
      segmentCount: 0,
    },
    segments: [],
    alerts: [],
  });
}

describe('gateway configuration', () => {
  it('requires the peers and the OIDC issuer', () => {
    expect(() => loadConfig(gatewayConfigSchema, {})).toThrow(/STORAGE_GRPC_ADDR: required.*LIFECYCLE_GRPC_ADDR: required.*OIDC_ISSUER: required/);
  });

  it('refuses a non-loopback GATEWAY_HTTP_ADDR without TLS', () => {
    expect(() => loadConfig(gatewayConfigSchema, env({ GATEWAY_HTTP_ADDR: '0.0.0.0:8080' }))).toThrow(/GATEWAY_HTTP_ADDR: host must be loopback/);
  });

  it.each([
    ['plain http to a remote issuer', { OIDC_ISSUER: 'http://idp.example.com' }, /OIDC_ISSUER: must be https/],
    ['a relative issuer', { OIDC_ISSUER: 'idp' }, /OIDC_ISSUER: must be an absolute URL/],
    ['credentials in the JWKS URL', { OIDC_JWKS_URL: 'https://u:secret@idp.example.com/jwks' }, /OIDC_JWKS_URL: must not carry credentials/],
    ['an empty audience list', { OIDC_AUDIENCE: ' , ' }, /OIDC_AUDIENCE: must name at least one audience/],
    ['a claim name with spaces', { OIDC_CLAIM_ROLES: 'my roles' }, /OIDC_CLAIM_ROLES: must be a claim name/],
  ])('refuses %s, naming the variable and never the value', (_name, extra, message) => {
    let error: unknown;
    try {
      loadConfig(gatewayConfigSchema, env(extra));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    for (const value of Object.values(extra)) if (value.trim() !== '') expect((error as Error).message).not.toContain(value);
  });

  it('parses audiences, claim names and MFA acr values', () => {
    const config = loadConfig(
      gatewayConfigSchema,
      env({ OIDC_AUDIENCE: 'confide-api, api2', OIDC_CLAIM_TENANT: 'org,tenant_id', OIDC_MFA_ACR_VALUES: 'gold' }),
    );
    expect(config).toMatchObject({ OIDC_AUDIENCE: ['confide-api', 'api2'], OIDC_CLAIM_TENANT: ['org', 'tenant_id'], OIDC_MFA_ACR_VALUES: ['gold'] });
    expect(loadConfig(gatewayConfigSchema, env()).OIDC_AUDIENCE).toEqual(['confide-api']);
  });
});

describe('gateway module', () => {
  it('builds OIDC verification (discovery), the policy and the assertion signer from its configuration', async () => {
    const storage = storageWithOneMeeting('t1');
    const module = createGatewayModule({ logger, config: loadConfig(gatewayConfigSchema, env()), storage, lifecycle: new FakeLifecycle(), records: new FakeLifecycleRecords(), tenantKeys: new FakeTenantKeys() });
    await module.start();
    try {
      const base = `http://127.0.0.1:${module.httpPort}`;
      expect((await request(base).get('/healthz')).status).toBe(200);
      // No token, or only the old tenant header: 401, storage untouched.
      expect((await request(base).get('/api/meetings').set('X-Confide-Tenant', 't1')).status).toBe(401);
      expect(storage.calls).toHaveLength(0);
      const token = await issuer.mint({ sub: 'admin1', tenant: 't1', roles: ['admin'] });
      const res = await request(base).get('/api/meetings/m1').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      // The downstream assertion is signed with SUBJECT_ASSERTION_KEY_FILE's key.
      const verifier = new SubjectAssertionVerifier({ trustedServices: { gateway: await importServicePublicKeyPem(publicPem) } });
      await expect(verifier.verify(storage.calls[0]?.ctx.subjectAssertion)).resolves.toMatchObject({
        caller: { service: 'gateway' },
        subject: { id: 'admin1', tenant: 't1' },
      });
      await expect(module.ready?.()).resolves.toBe(true);
    } finally {
      await module.stop();
    }
  });

  it('maps configured claim names', async () => {
    const storage = storageWithOneMeeting('org-7');
    const config = loadConfig(gatewayConfigSchema, env({ OIDC_JWKS_URL: issuer.jwksUrl, OIDC_CLAIM_TENANT: 'org', OIDC_CLAIM_ROLES: 'groups' }));
    const module = createGatewayModule({ logger, config, storage, lifecycle: new FakeLifecycle(), records: new FakeLifecycleRecords(), tenantKeys: new FakeTenantKeys() });
    await module.start();
    try {
      const token = await issuer.mint({ sub: 'u1', claims: { org: 'org-7', groups: 'admin' } });
      const res = await request(`http://127.0.0.1:${module.httpPort}`).get('/api/meetings').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(storage.calls[0]).toMatchObject({ method: 'listMeetings', tenantId: 'org-7' });
    } finally {
      await module.stop();
    }
  });

  it('refuses to start without a subject assertion key, naming the variable', async () => {
    const config = loadConfig(gatewayConfigSchema, env());
    const module = createGatewayModule({
      logger,
      config: { ...config, SUBJECT_ASSERTION_KEY_FILE: undefined },
      storage: new FakeStorage(),
      lifecycle: new FakeLifecycle(), records: new FakeLifecycleRecords(), tenantKeys: new FakeTenantKeys(),
    });
    await expect(module.start()).rejects.toThrow(/SUBJECT_ASSERTION_KEY_FILE: required/);
    expect(module.httpPort).toBeUndefined();
  });

  it('refuses a key file that is not a private key, without echoing it', async () => {
    const bad = path.join(dir, 'not-a-key.pem');
    writeFileSync(bad, 'very-secret-looking-content');
    const module = createGatewayModule({
      logger,
      config: loadConfig(gatewayConfigSchema, env({ SUBJECT_ASSERTION_KEY_FILE: bad })),
      storage: new FakeStorage(),
      lifecycle: new FakeLifecycle(), records: new FakeLifecycleRecords(), tenantKeys: new FakeTenantKeys(),
    });
    const error = await module.start().then(() => undefined, (err: unknown) => err as Error);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(/SUBJECT_ASSERTION_KEY_FILE: must be a PEM private key/);
    expect(error?.message).not.toContain('very-secret');
  });

  it('refuses to start when the issuer cannot be discovered', async () => {
    const gone = await DevIssuer.start();
    const url = gone.issuer;
    await gone.stop();
    const module = createGatewayModule({
      logger,
      config: loadConfig(gatewayConfigSchema, env({ OIDC_ISSUER: url })),
      storage: new FakeStorage(),
      lifecycle: new FakeLifecycle(), records: new FakeLifecycleRecords(), tenantKeys: new FakeTenantKeys(),
    });
    await expect(module.start()).rejects.toThrow();
    expect(module.httpPort).toBeUndefined();
  });

  it('refuses to listen on a non-loopback address without TLS even when handed such a config', async () => {
    const config = { ...loadConfig(gatewayConfigSchema, env()), GATEWAY_HTTP_ADDR: '0.0.0.0:0' };
    const module = createGatewayModule({ logger, config, storage: new FakeStorage(), lifecycle: new FakeLifecycle(), records: new FakeLifecycleRecords(), tenantKeys: new FakeTenantKeys() });
    await expect(module.start()).rejects.toThrow('GATEWAY_HTTP_ADDR must be a loopback address without TLS');
    expect(module.grpcServices).toEqual([]);
  });
});
