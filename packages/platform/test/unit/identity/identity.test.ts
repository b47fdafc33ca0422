import * as grpc from '@grpc/grpc-js';
import { SignJWT, generateKeyPair } from 'jose';
import {
  AppError,
  authorizeRpc,
  createLogger,
  DevIssuer,
  discoverJwksUrl,
  generateServiceKeyPair,
  InMemoryGrantStore,
  OidcVerifier,
  PolicyEvaluator,
  SUBJECT_ASSERTION_METADATA,
  SubjectAssertionSigner,
  SubjectAssertionVerifier,
  subjectFromClaims,
  type Decision,
  type DecisionAuditor,
  type Subject,
} from '@confide/platform';

const silent = createLogger({ service: 'test', level: 'silent' });

describe('OidcVerifier with a DevIssuer', () => {
  let issuer: DevIssuer;
  let verifier: OidcVerifier;

  beforeAll(async () => {
    issuer = await DevIssuer.start();
    verifier = new OidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: await discoverJwksUrl(issuer.issuer) });
  });
  afterAll(() => issuer.stop());

  it('maps a user token to a subject', async () => {
    const token = await issuer.mint({ sub: 'u1', tenant: 't1', roles: ['member', 'auditor'] });
    await expect(verifier.authenticate(token)).resolves.toEqual({ id: 'u1', tenant: 't1', roles: ['member', 'auditor'], kind: 'user', mfa: false });
  });

  it('maps staff and MFA', async () => {
    const token = await issuer.mint({ sub: 's1', staff: true, mfa: true, roles: ['admin'] });
    await expect(verifier.authenticate(token)).resolves.toEqual({ id: 's1', tenant: '', roles: [], kind: 'staff', mfa: true });
  });

  it.each([
    ['expired', { sub: 'u1', tenant: 't1', expiresInSec: -120 }],
    ['wrong audience', { sub: 'u1', tenant: 't1', audience: 'someone-else' }],
  ])('rejects a token that is %s', async (_name, mint) => {
    const token = await issuer.mint(mint);
    await expect(verifier.authenticate(token)).rejects.toMatchObject({ kind: 'unauthenticated', message: 'the bearer token is invalid or expired' });
  });

  it('rejects a token of another issuer, another key, alg none and garbage', async () => {
    const other = await DevIssuer.start();
    try {
      await expect(verifier.authenticate(await other.mint({ sub: 'u1', tenant: 't1' }))).rejects.toBeInstanceOf(AppError);
      const { privateKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT({ 'confide/tenant': 't1' })
        .setProtectedHeader({ alg: 'ES256', kid: issuer.jwks.keys[0].kid })
        .setIssuer(issuer.issuer)
        .setAudience(issuer.audience)
        .setSubject('u1')
        .setExpirationTime('5m')
        .sign(privateKey);
      await expect(verifier.authenticate(forged)).rejects.toMatchObject({ kind: 'unauthenticated' });
      const [h, p] = (await issuer.mint({ sub: 'u1', tenant: 't1' })).split('.');
      const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`;
      await expect(verifier.authenticate(none)).rejects.toMatchObject({ kind: 'unauthenticated' });
      await expect(verifier.authenticate(`${h}.${p}.AAAA`)).rejects.toMatchObject({ kind: 'unauthenticated' });
      await expect(verifier.authenticate('garbage')).rejects.toMatchObject({ kind: 'unauthenticated' });
    } finally {
      await other.stop();
    }
  });

  it('works with a local JWKS and configurable claim names', async () => {
    const local = new OidcVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwks: issuer.jwks,
      claims: { tenant: ['org'], roles: 'groups', staff: 'is_support' },
    });
    const token = await issuer.mint({ sub: 'u2', claims: { org: 'acme', groups: 'owner admin' } });
    await expect(local.authenticate(token)).resolves.toMatchObject({ id: 'u2', tenant: 'acme', roles: ['owner', 'admin'], kind: 'user' });
    const staff = await issuer.mint({ sub: 's2', claims: { is_support: true } });
    await expect(local.authenticate(staff)).resolves.toMatchObject({ kind: 'staff' });
  });

  it('reads MFA from amr or acr, and tenant_id as a fallback tenant claim', () => {
    expect(subjectFromClaims({ sub: 'a', tenant_id: 't9', amr: ['pwd', 'otp'] })).toMatchObject({ tenant: 't9', mfa: true });
    expect(subjectFromClaims({ sub: 'a', amr: ['hwk'] }).mfa).toBe(true);
    expect(subjectFromClaims({ sub: 'a', acr: 'urn:confide:acr:mfa' }).mfa).toBe(true);
    expect(subjectFromClaims({ sub: 'a', acr: 'silver', amr: ['pwd'] }).mfa).toBe(false);
    expect(subjectFromClaims({ sub: 'a', 'confide/staff': 'true' }).kind).toBe('user');
    expect(() => subjectFromClaims({ tenant_id: 't' })).toThrow(AppError);
  });
});

describe('subject assertions and authorizeRpc', () => {
  let evaluator: PolicyEvaluator;
  let gatewayKeys: Awaited<ReturnType<typeof generateServiceKeyPair>>;
  let lifecycleKeys: Awaited<ReturnType<typeof generateServiceKeyPair>>;
  let verifier: SubjectAssertionVerifier;
  const audited: Decision[] = [];
  const auditor: DecisionAuditor = { record: async (d) => void audited.push(d) };
  const admin: Subject = { id: 'u-admin', tenant: 't1', roles: ['admin'], kind: 'user', mfa: false };
  const member: Subject = { id: 'u-member', tenant: 't1', roles: ['member'], kind: 'user', mfa: false };

  beforeAll(async () => {
    evaluator = await PolicyEvaluator.load({ logger: silent, watch: false });
    gatewayKeys = await generateServiceKeyPair('EdDSA');
    lifecycleKeys = await generateServiceKeyPair('ES256');
    verifier = new SubjectAssertionVerifier({ trustedServices: { gateway: gatewayKeys.publicJwk, lifecycle: lifecycleKeys.publicKey } });
  });
  afterAll(() => evaluator.close());

  const gatewaySigner = () => new SubjectAssertionSigner({ service: 'gateway', privateKey: gatewayKeys.privateKey, alg: 'EdDSA' });
  const ctxWith = (token?: string) => {
    const metadata = new grpc.Metadata();
    if (token) metadata.set(SUBJECT_ASSERTION_METADATA, token);
    return { metadata, signal: new AbortController().signal };
  };

  it('round-trips the caller and the end user', async () => {
    await expect(verifier.verify(await gatewaySigner().sign(admin))).resolves.toEqual({
      caller: { id: 'gateway', tenant: '', roles: [], kind: 'service', mfa: false, service: 'gateway' },
      subject: admin,
    });
    const alone = await new SubjectAssertionSigner({ service: 'lifecycle', privateKey: lifecycleKeys.privateKey, alg: 'ES256' }).sign();
    await expect(verifier.verify(alone)).resolves.toEqual({ caller: expect.objectContaining({ service: 'lifecycle' }) });
  });

  it('rejects an assertion signed with the wrong key, by an untrusted service, expired, or missing', async () => {
    const impostor = new SubjectAssertionSigner({ service: 'gateway', privateKey: lifecycleKeys.privateKey, alg: 'ES256' });
    await expect(verifier.verify(await impostor.sign(admin))).rejects.toMatchObject({ kind: 'unauthenticated' });
    const rogue = await generateServiceKeyPair();
    const untrusted = new SubjectAssertionSigner({ service: 'ingest', privateKey: rogue.privateKey, alg: 'EdDSA' });
    await expect(verifier.verify(await untrusted.sign())).rejects.toMatchObject({ kind: 'unauthenticated' });
    const expired = new SubjectAssertionSigner({ service: 'gateway', privateKey: gatewayKeys.privateKey, alg: 'EdDSA', ttlSec: -60 });
    await expect(verifier.verify(await expired.sign(admin))).rejects.toMatchObject({ kind: 'unauthenticated' });
    await expect(verifier.verify(undefined)).rejects.toMatchObject({ kind: 'unauthenticated' });
  });

  const getMeeting = (deps: { grants?: InMemoryGrantStore } = {}) =>
    authorizeRpc<{ tenantId: string; meetingId: string; owner: string }, string>(
      { evaluator, verifier, auditor, clock: { now: () => 1764000000000 }, ...deps },
      {
        method: '/confide.storage.v1.StorageService/GetMeeting',
        user: { resource: (r) => ({ tenant: r.tenantId, owner: r.owner, meeting: r.meetingId, kind: 'meeting' }) },
      },
      async (req, ctx) => `${req.meetingId} for ${ctx.subject?.id ?? '-'} via ${ctx.caller.id}`,
    );

  it('serves the gateway acting for an allowed user, and audits the read', async () => {
    audited.length = 0;
    const handler = getMeeting();
    await expect(handler({ tenantId: 't1', meetingId: 'm1', owner: 'u-x' }, ctxWith(await gatewaySigner().sign(admin)))).resolves.toBe('m1 for u-admin via gateway');
    expect(audited.map((d) => d.reasons)).toEqual([['role:admin']]);
  });

  it('refuses the user decision (member, other owner; other tenant) and calls without an end user', async () => {
    const handler = getMeeting();
    const token = await gatewaySigner().sign(member);
    await expect(handler({ tenantId: 't1', meetingId: 'm1', owner: 'u-x' }, ctxWith(token))).rejects.toMatchObject({ kind: 'permission-denied' });
    await expect(handler({ tenantId: 't2', meetingId: 'm1', owner: 'u-member' }, ctxWith(token))).rejects.toMatchObject({ kind: 'permission-denied' });
    await expect(handler({ tenantId: 't1', meetingId: 'm1', owner: 'u-member' }, ctxWith(token))).resolves.toContain('u-member');
    await expect(handler({ tenantId: 't1', meetingId: 'm1', owner: 'u-x' }, ctxWith(await gatewaySigner().sign()))).rejects.toMatchObject({ kind: 'permission-denied' });
    await expect(handler({ tenantId: 't1', meetingId: 'm1', owner: 'u-x' }, ctxWith())).rejects.toMatchObject({ kind: 'unauthenticated' });
  });

  it('refuses a service whose rpc action is not permitted', async () => {
    const purge = authorizeRpc(
      { evaluator, verifier, auditor },
      { method: 'confide.storage.v1.StorageService/PurgeMeeting' },
      async () => 'purged',
    );
    await expect(purge({}, ctxWith(await gatewaySigner().sign()))).rejects.toMatchObject({ kind: 'permission-denied' });
    const lifecycle = new SubjectAssertionSigner({ service: 'lifecycle', privateKey: lifecycleKeys.privateKey, alg: 'ES256' });
    await expect(purge({}, ctxWith(await lifecycle.sign()))).resolves.toBe('purged');
  });

  it('refuses when the access cannot be audited', async () => {
    const handler = authorizeRpc(
      { evaluator, verifier, auditor: { record: () => Promise.reject(new Error('down')) } },
      { method: 'confide.storage.v1.StorageService/GetTranscript', user: { resource: () => ({ tenant: 't1', owner: '', meeting: 'm1', kind: 'meeting' }) } },
      async () => 'content',
    );
    await expect(handler({}, ctxWith(await gatewaySigner().sign(admin)))).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('gives staff access only with an approved grant from the grant store', async () => {
    const staff: Subject = { id: 's1', tenant: '', roles: [], kind: 'staff', mfa: true };
    const token = await gatewaySigner().sign(staff);
    const grants = new InMemoryGrantStore();
    const req = { tenantId: 't1', meetingId: 'm1', owner: 'u-x' };
    await expect(getMeeting({ grants })(req, ctxWith(token))).rejects.toMatchObject({ kind: 'permission-denied' });
    grants.add({
      id: 'g1', tenant: 't1', staff_id: 's1', scope: 'tenant', meeting: '', reason: 'ticket 1',
      approved_by: 'u-admin', approved_at: 1763996400000, expires_at: 1764003600000, revoked: false,
    });
    await expect(getMeeting({ grants })(req, ctxWith(token))).resolves.toContain('s1');
    grants.revoke('g1');
    await expect(getMeeting({ grants })(req, ctxWith(token))).rejects.toMatchObject({ kind: 'permission-denied' });
  });
});
