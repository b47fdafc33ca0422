import {
  AccessGrantServiceClient,
  AccessGrantStatus,
  AccessGrantScope,
  AuditServiceClient,
  CertificateServiceClient,
  LifecycleServiceClient,
  RetentionAction,
  type ExportAuditLogResponse,
  type GetSigningKeysResponse,
} from '@confide/contracts';
import * as grpc from '@grpc/grpc-js';
import {
  GrpcServer,
  InProcessEventBus,
  PolicyEvaluator,
  callUnary,
  createGrpcClient,
  createLogger,
  generateServiceTrust,
  runServiceModules,
  subjectAssertionMetadata,
  type DecisionAuditor,
  type GrantStore,
  type RunningServices,
  type ServiceTrust,
  type Subject,
} from '@confide/platform';
import { createLifecycleModule, type LifecycleModule } from '../../src/lifecycle.module';
import { verifyAuditExport } from '../../src/domain/audit-export.verifier';
import { verifyDeletionCertificate } from '../../src/domain/deletion-certificate';
import { FakeMeetingStore } from '../unit/support/fakes';
import { DB_START_TIMEOUT_MS, openTestKms, startEmbeddedTestDatabase, type TestDatabaseUrls, type TestKms } from './support/lifecycle-db';

const logger = createLogger({ service: 'lifecycle-it', level: 'silent' });
const TENANT = 't-grpc';
const admin = (mfa: boolean, id = 'admin-1', tenant = TENANT): Subject => ({ id, tenant, roles: ['admin'], kind: 'user', mfa });
const member: Subject = { id: 'member-1', tenant: TENANT, roles: ['member'], kind: 'user', mfa: true };
const auditorUser: Subject = { id: 'auditor-1', tenant: TENANT, roles: ['auditor'], kind: 'user', mfa: true };
const staff: Subject = { id: 'staff-1', tenant: '', roles: [], kind: 'staff', mfa: true };

describe('lifecycle module with PostgreSQL: AccessGrantService, AuditService, CertificateService over gRPC', () => {
  let urls: TestDatabaseUrls;
  let keys: TestKms;
  let evaluator: PolicyEvaluator;
  let trust: ServiceTrust;
  let bus: InProcessEventBus;
  let module: LifecycleModule;
  let running: RunningServices;
  let grants: AccessGrantServiceClient;
  let audit: AuditServiceClient;
  let certificates: CertificateServiceClient;
  let lifecycle: LifecycleServiceClient;
  const store = new FakeMeetingStore().add({ tenantId: TENANT, meetingId: 'm1' }, { segments: 4, alerts: 1, reports: 1 });

  const as = async (subject: Subject): Promise<{ metadata: grpc.Metadata }> => ({
    metadata: subjectAssertionMetadata(await trust.signer('gateway').sign(subject)),
  });
  const code = (p: Promise<unknown>): Promise<number | undefined> => p.then(() => undefined, (err: grpc.ServiceError) => err.code);

  beforeAll(async () => {
    urls = await startEmbeddedTestDatabase();
    keys = await openTestKms();
    evaluator = await PolicyEvaluator.load({ logger, watch: false });
    trust = await generateServiceTrust(['gateway', 'storage', 'ingest']);
    bus = new InProcessEventBus({ logger });
    // The module's own audit log records the decisions (as in all-in-one).
    const auditor: DecisionAuditor = { record: (d, i) => module.decisionAuditor!.record(d, i) };
    const grantStore: GrantStore = { grantsFor: (t) => module.grants!.grantsFor(t) };
    module = createLifecycleModule({
      logger,
      bus,
      storage: store,
      authorization: { evaluator, verifier: trust.verifier, auditor, grants: grantStore },
      persistence: { databaseUrl: urls.appUrl, migrationDatabaseUrl: urls.migrationUrl, kms: keys.kms, checkpointIntervalMs: 50 },
    });
    running = await runServiceModules({ modules: [module], server: new GrpcServer({ address: '127.0.0.1:0', logger }), logger });
    const address = `127.0.0.1:${running.port}`;
    grants = createGrpcClient(AccessGrantServiceClient, address);
    audit = createGrpcClient(AuditServiceClient, address);
    certificates = createGrpcClient(CertificateServiceClient, address);
    lifecycle = createGrpcClient(LifecycleServiceClient, address);
  }, DB_START_TIMEOUT_MS);

  afterAll(async () => {
    for (const c of [grants, audit, certificates, lifecycle]) c?.close();
    await running?.stop();
    await bus?.close();
    evaluator?.close();
    await keys?.dispose();
    await urls?.dispose();
  });

  it('serves the three services next to LifecycleService and exposes its GrantStore and DecisionAuditor', () => {
    expect(module.grpcServices.map((s) => s.name)).toEqual([
      'confide.lifecycle.v1.LifecycleService',
      'confide.lifecycle.v1.AccessGrantService',
      'confide.lifecycle.v1.AuditService',
      'confide.lifecycle.v1.CertificateService',
    ]);
    expect(module.grants).toBeDefined();
    expect(module.decisionAuditor).toBeDefined();
  });

  it('grant lifecycle: staff request with a reason, only an admin with MFA decides, the actor is the assertion\'s user', async () => {
    const request = { tenantId: TENANT, staffId: 'someone-else', reason: 'ticket 42', scope: AccessGrantScope.ACCESS_GRANT_SCOPE_MEETING, meetingId: 'm1', durationMs: 3_600_000 };
    // No reason: the policy refuses (reason-required), nothing stored.
    expect(await code(callUnary(grants, 'requestAccessGrant', { ...request, reason: ' ' }, await as(staff)))).toBe(grpc.status.PERMISSION_DENIED);
    // Users cannot request; no assertion at all is UNAUTHENTICATED.
    expect(await code(callUnary(grants, 'requestAccessGrant', request, await as(admin(true))))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await code(callUnary(grants, 'requestAccessGrant', request))).toBe(grpc.status.UNAUTHENTICATED);

    const requested = await callUnary<object, { grant: { grantId: string; staffId: string; status: number } }>(grants, 'requestAccessGrant', request, await as(staff));
    expect(requested.grant).toMatchObject({ staffId: 'staff-1', status: AccessGrantStatus.ACCESS_GRANT_STATUS_PENDING });
    const ref = { tenantId: TENANT, grantId: requested.grant.grantId, approvedBy: 'forged', durationMs: 0 };
    expect((await module.grants!.grantsFor(TENANT)).find((g) => g.id === ref.grantId)).toMatchObject({ approved_by: '', revoked: false });

    for (const who of [member, admin(false), auditorUser, staff, admin(true, 'x-admin', 't-other')]) {
      expect(await code(callUnary(grants, 'approveAccessGrant', ref, await as(who)))).toBe(grpc.status.PERMISSION_DENIED);
    }
    const approved = await callUnary<object, { grant: { approvedBy: string; status: number; expiresAtUnixMs: number } }>(grants, 'approveAccessGrant', ref, await as(admin(true)));
    expect(approved.grant).toMatchObject({ approvedBy: 'admin-1', status: AccessGrantStatus.ACCESS_GRANT_STATUS_APPROVED });
    expect((await module.grants!.grantsFor(TENANT)).find((g) => g.id === ref.grantId)).toMatchObject({ approved_by: 'admin-1', scope: 'meeting', meeting: 'm1' });

    // Staff list only their own (the request field is ignored); members nothing.
    const own = await callUnary<object, { grants: Array<{ staffId: string }> }>(grants, 'listAccessGrants', { tenantId: TENANT, staffId: '' }, await as(staff));
    expect(own.grants.map((g) => g.staffId)).toEqual(['staff-1']);
    expect(await code(callUnary(grants, 'listAccessGrants', { tenantId: TENANT, staffId: 'other' }, await as(staff)))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await code(callUnary(grants, 'listAccessGrants', { tenantId: TENANT, staffId: '' }, await as(member)))).toBe(grpc.status.PERMISSION_DENIED);

    const revoked = await callUnary<object, { grant: { revokedBy: string; status: number } }>(grants, 'revokeAccessGrant', { tenantId: TENANT, grantId: ref.grantId, revokedBy: 'forged' }, await as(admin(true)));
    expect(revoked.grant).toMatchObject({ revokedBy: 'admin-1', status: AccessGrantStatus.ACCESS_GRANT_STATUS_REVOKED });
    expect((await module.grants!.grantsFor(TENANT)).find((g) => g.id === ref.grantId)?.revoked).toBe(true);

    // Deny: a second request, decided by an owner with MFA.
    const second = await callUnary<object, { grant: { grantId: string } }>(grants, 'requestAccessGrant', { ...request, scope: AccessGrantScope.ACCESS_GRANT_SCOPE_TENANT, meetingId: '' }, await as(staff));
    const denied = await callUnary<object, { grant: { deniedBy: string; status: number } }>(grants, 'denyAccessGrant', { tenantId: TENANT, grantId: second.grant.grantId, deniedBy: 'forged' }, await as({ ...admin(true), id: 'owner-1', roles: ['owner'] }));
    expect(denied.grant).toMatchObject({ deniedBy: 'owner-1', status: AccessGrantStatus.ACCESS_GRANT_STATUS_DENIED });
    expect(await code(callUnary(grants, 'approveAccessGrant', { tenantId: TENANT, grantId: 'unknown', approvedBy: '', durationMs: 0 }, await as(admin(true))))).toBe(grpc.status.NOT_FOUND);
  });

  it('ListActiveGrantsForPolicy: the policy\'s grants, service-only, for the gateway and storage; nobody else', async () => {
    const asService = async (name: string, endUser?: Subject): Promise<{ metadata: grpc.Metadata }> => ({
      metadata: subjectAssertionMetadata(await trust.signer(name).sign(endUser)),
    });
    type Listed = { grants: Array<{ grantId: string; tenantId: string; staffId: string; scope: number; meetingId: string; reason: string; approvedBy: string; approvedAtUnixMs: number; expiresAtUnixMs: number; revoked: boolean }> };
    const expected = (await module.grants!.grantsFor(TENANT)).map((g) => ({
      grantId: g.id,
      tenantId: g.tenant,
      staffId: g.staff_id,
      scope: g.scope === 'meeting' ? AccessGrantScope.ACCESS_GRANT_SCOPE_MEETING : AccessGrantScope.ACCESS_GRANT_SCOPE_TENANT,
      meetingId: g.meeting,
      reason: g.reason,
      approvedBy: g.approved_by,
      approvedAtUnixMs: g.approved_at,
      expiresAtUnixMs: g.expires_at,
      revoked: g.revoked,
    }));
    expect(expected.length).toBeGreaterThan(0);
    for (const caller of ['storage', 'gateway']) {
      const res = await callUnary<object, Listed>(grants, 'listActiveGrantsForPolicy', { tenantId: TENANT }, await asService(caller));
      expect(res.grants).toEqual(expected);
    }
    // Service-only: acting for a user changes nothing; other services and anonymous callers are refused.
    expect((await callUnary<object, Listed>(grants, 'listActiveGrantsForPolicy', { tenantId: TENANT }, await asService('gateway', member))).grants).toEqual(expected);
    expect(await code(callUnary(grants, 'listActiveGrantsForPolicy', { tenantId: TENANT }, await asService('ingest')))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await code(callUnary(grants, 'listActiveGrantsForPolicy', { tenantId: TENANT }))).toBe(grpc.status.UNAUTHENTICATED);
    expect(await code(callUnary(grants, 'listActiveGrantsForPolicy', { tenantId: '' }, await asService('storage')))).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('DeleteMeeting issues a signed certificate, readable by admins and auditors, verifiable offline with the published keys', async () => {
    const res = await callUnary<object, { meetingId: string }>(lifecycle, 'deleteMeeting', { tenantId: TENANT, meetingId: 'm1', requestedBy: 'forged', reason: '' }, await as(admin(true)));
    expect(res.meetingId).toBe('m1');
    const listed = await callUnary<object, { certificates: Array<{ certificateId: string; document: string; meetingId: string; signingKeyVersion: number }> }>(
      certificates,
      'listDeletionCertificates',
      { tenantId: TENANT, meetingId: 'm1' },
      await as(auditorUser),
    );
    expect(listed.certificates).toHaveLength(1);
    const [listedCertificate] = listed.certificates;
    const got = await callUnary<object, { certificate: { document: string } }>(certificates, 'getDeletionCertificate', { tenantId: TENANT, certificateId: listedCertificate!.certificateId }, await as(admin(false)));
    expect(got.certificate.document).toBe(listedCertificate!.document);
    const doc = JSON.parse(got.certificate.document) as Record<string, unknown>;
    expect(doc).toMatchObject({ tenant_id: TENANT, requested_by: 'admin-1', subject: { kind: 'meeting', meeting_id: 'm1' }, erased: { meetings: 1, segments: 4 } });

    const published = await callUnary<object, GetSigningKeysResponse>(certificates, 'getSigningKeys', {}, await as(member));
    expect(published).toMatchObject({ keyName: 'confide-signing', algorithm: 'ed25519' });
    const keyDoc = {
      key_name: published.keyName,
      algorithm: 'ed25519' as const,
      keys: published.keys.map((k) => ({ version: k.version, public_key_pem: k.publicKeyPem, public_key_base64: k.publicKeyBase64, created_at: k.createdAt })),
    };
    expect(verifyDeletionCertificate(got.certificate.document, keyDoc).ok).toBe(true);
    expect(verifyDeletionCertificate({ ...doc, erased: { meetings: 1, segments: 3, alerts: 1, reports: 1 } }, keyDoc).ok).toBe(false);

    for (const who of [member, staff, admin(true, 'x-admin', 't-other')]) {
      expect(await code(callUnary(certificates, 'getDeletionCertificate', { tenantId: TENANT, certificateId: listedCertificate!.certificateId }, await as(who)))).toBe(
        grpc.status.PERMISSION_DENIED,
      );
    }
    expect(await code(callUnary(certificates, 'getDeletionCertificate', { tenantId: TENANT, certificateId: 'unknown' }, await as(admin(false))))).toBe(grpc.status.NOT_FOUND);
  });

  it('retention policy: admins read it, admins with MFA set it (recorded as the assertion\'s user); others are refused', async () => {
    const read = await callUnary<object, { policy: { days: number; action: number; isDefault: boolean } }>(lifecycle, 'getRetentionPolicy', { tenantId: TENANT }, await as(admin(false)));
    expect(read.policy).toMatchObject({ days: 90, action: RetentionAction.RETENTION_ACTION_DELETE, isDefault: true });
    expect(await code(callUnary(lifecycle, 'setRetentionPolicy', { tenantId: TENANT, days: 30, action: RetentionAction.RETENTION_ACTION_ARCHIVE }, await as(admin(false))))).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    const set = await callUnary<object, { policy: { days: number; action: number; isDefault: boolean; updatedBy: string } }>(
      lifecycle,
      'setRetentionPolicy',
      { tenantId: TENANT, days: 30, action: RetentionAction.RETENTION_ACTION_ARCHIVE },
      await as(admin(true)),
    );
    expect(set.policy).toMatchObject({ days: 30, action: RetentionAction.RETENTION_ACTION_ARCHIVE, isDefault: false, updatedBy: 'admin-1' });
    expect(await code(callUnary(lifecycle, 'setRetentionPolicy', { tenantId: TENANT, days: 0, action: RetentionAction.RETENTION_ACTION_ARCHIVE }, await as(admin(true))))).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    for (const who of [member, auditorUser, staff, admin(true, 'x-admin', 't-other')]) {
      expect(await code(callUnary(lifecycle, 'getRetentionPolicy', { tenantId: TENANT }, await as(who)))).toBe(grpc.status.PERMISSION_DENIED);
    }
  });

  it('erasure RPCs are decided by the policy first; without a storage maintenance client or tenant keys they are refused', async () => {
    // Admins may not erase the tenant (owners only); members may not erase a user's data.
    expect(await code(callUnary(lifecycle, 'eraseTenant', { tenantId: TENANT, reason: '' }, await as(admin(true))))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await code(callUnary(lifecycle, 'eraseUserData', { tenantId: TENANT, userId: 'u-7', reason: '' }, await as(member)))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await code(callUnary(lifecycle, 'restoreArchivedMeeting', { tenantId: TENANT, meetingId: 'm1', reason: '' }, await as(admin(false))))).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    // Allowed, but this composition has neither a KMS for tenant keys nor storage maintenance.
    const owner: Subject = { id: 'owner-1', tenant: TENANT, roles: ['owner'], kind: 'user', mfa: true };
    expect(await code(callUnary(lifecycle, 'eraseTenant', { tenantId: TENANT, reason: '' }, await as(owner)))).toBe(grpc.status.FAILED_PRECONDITION);
    expect(await code(callUnary(lifecycle, 'eraseUserData', { tenantId: TENANT, userId: 'u-7', reason: '' }, await as(admin(true))))).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it('ListAuditEvents pages the tenant\'s chain for auditors and admins (ids and decisions, the denials included)', async () => {
    const page = await callUnary<object, { events: Array<{ seq: number; action: string; hash: string; prevHash: string }>; nextAfterSeq: number }>(
      audit,
      'listAuditEvents',
      { tenantId: TENANT, afterSeq: 0, pageSize: 2 },
      await as(auditorUser),
    );
    expect(page.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(page.events[1]!.prevHash).toBe(page.events[0]!.hash);
    expect(page.nextAfterSeq).toBe(2);
    const all = await callUnary<object, { events: Array<{ seq: number; action: string }>; nextAfterSeq: number }>(audit, 'listAuditEvents', { tenantId: TENANT, afterSeq: 0, pageSize: 500 }, await as(admin(false)));
    expect(all.nextAfterSeq).toBe(0);
    expect(all.events.map((e) => e.action)).toEqual(expect.arrayContaining(['settings:write', 'tenant-data:delete', 'certificate:issued']));
    expect(await code(callUnary(audit, 'listAuditEvents', { tenantId: TENANT, afterSeq: 0, pageSize: 501 }, await as(auditorUser)))).toBe(grpc.status.INVALID_ARGUMENT);
    for (const who of [member, staff, admin(true, 'x-admin', 't-other')]) {
      expect(await code(callUnary(audit, 'listAuditEvents', { tenantId: TENANT, afterSeq: 0, pageSize: 10 }, await as(who)))).toBe(grpc.status.PERMISSION_DENIED);
    }
  });

  it('exports the audit log (grant steps, erasure, decisions, denials) to auditors with MFA; it verifies offline and holds no reason', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300)); // a checkpoint interval or more
    const exportLines = async (subject: Subject): Promise<string[]> => {
      const stream = audit.exportAuditLog({ tenantId: TENANT }, (await as(subject)).metadata);
      const lines: string[] = [];
      for await (const message of stream as AsyncIterable<ExportAuditLogResponse>) lines.push(...message.lines);
      return lines;
    };
    const lines = await exportLines(auditorUser);
    const published = await callUnary<object, GetSigningKeysResponse>(certificates, 'getSigningKeys', {}, await as(auditorUser));
    const result = verifyAuditExport(lines, published.keys.map((k) => ({ version: k.version, publicKeyPem: k.publicKeyPem })));
    expect(result.ok).toBe(true);
    expect(result.checkpointedThroughSeq).toBeGreaterThan(0);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.type === 'event');
    const actions = events.map((e) => `${String(e.action)}:${String(e.decision)}`);
    expect(actions).toEqual(expect.arrayContaining(['grant:request:allow', 'grant:request:deny', 'grant:approve:deny', 'grant:approve:allow', 'grant:revoke:allow', 'grant:deny:allow', 'meeting:delete:allow']));
    expect(lines.join('\n')).not.toContain('ticket 42');

    const head = await callUnary<object, { seq: number; headHash: string }>(audit, 'getAuditHead', { tenantId: TENANT }, await as(auditorUser));
    expect(head.seq).toBeGreaterThanOrEqual(events.length);

    for (const who of [member, admin(true, 'x-admin', 't-other'), { ...auditorUser, mfa: false }, staff]) {
      await expect(exportLines(who)).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    }
    await expect((async () => {
      const stream = audit.exportAuditLog({ tenantId: TENANT });
      for await (const _ of stream as AsyncIterable<ExportAuditLogResponse>) void _;
    })()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });
});

describe('lifecycle module without authorization', () => {
  it('refuses every RPC of the persistent services (UNAUTHENTICATED) and needs no database to be built', async () => {
    const bus = new InProcessEventBus({ logger });
    const module = createLifecycleModule({
      logger,
      bus,
      storage: new FakeMeetingStore(),
      // Never started: the registrations alone are exercised.
      persistence: { databaseUrl: 'postgres://nobody@127.0.0.1:1/none', kms: { createKey: async () => undefined, sign: async () => { throw new Error('unused'); }, publicKeys: async () => [] } },
    });
    const server = new GrpcServer({ address: '127.0.0.1:0', logger });
    for (const reg of module.grpcServices) server.add(reg);
    const { port } = await server.start();
    const certificates = createGrpcClient(CertificateServiceClient, `127.0.0.1:${port}`);
    const grants = createGrpcClient(AccessGrantServiceClient, `127.0.0.1:${port}`);
    try {
      await expect(callUnary(certificates, 'getSigningKeys', {})).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      await expect(callUnary(grants, 'listAccessGrants', { tenantId: 't', staffId: '' })).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    } finally {
      certificates.close();
      grants.close();
      await server.shutdown({ graceMs: 100 });
      await bus.close();
    }
  });
});
