import request from 'supertest';
import {
  AccessGrantScope,
  AccessGrantServiceClient,
  AccessGrantStatus,
  AlertSeverity,
  AuditServiceClient,
  CertificateServiceClient,
  AudioEncoding,
  DataKeyPurpose,
  IngestServiceClient,
  InsightsServiceClient,
  KeyRegistryServiceClient,
  LifecycleServiceClient,
  MeetingStatus,
  StorageServiceClient,
  TranscriptionServiceClient,
  type ExportAuditLogResponse,
  type StreamMeetingResponse,
  type Meeting,
} from '@confide/contracts';
import { createGatewayApp } from '@confide/gateway-service';
import {
  buildPolicyInput,
  callUnary,
  createGrpcClient,
  createLogger,
  DevIssuer,
  generateServiceTrust,
  grpcStatusToAppError,
  Events,
  EventRouter,
  GrpcServer,
  InMemoryGrantStore,
  InProcessEventBus,
  Topics,
  runServiceModules,
  isServiceError,
  OidcVerifier,
  PolicyEvaluator,
  rpcAction,
  subjectAssertionMetadata,
  type DecisionAuditor,
  type MintOptions,
  type PolicySubject,
  type RpcAuthorizationDeps,
  type Subject,
  type SubjectAssertionSigner,
} from '@confide/platform';
import * as grpc from '@grpc/grpc-js';
import { FakeLifecycle, FakeLifecycleRecords, FakeProcessing, FakeStorage, FakeTenantKeys } from '../../services/gateway/test/support/fakes';
import { PolicyStreamAccess, createIngestModule } from '../../services/ingest/src';
import { insightsGrpcService } from '../../services/insights/src/adapters/grpc/insights.grpc';
import type { ListAlertRules } from '../../services/insights/src/use-cases/list-alert-rules.use-case';
import { transcriptionGrpcService } from '../../services/transcription/src/adapters/grpc/transcription.grpc';
import type { SttEngine } from '../../services/transcription/src/ports/stt-engine.port';
import { storageGrpcService } from '../../services/storage/src/adapters/grpc/storage.grpc';
import { keyRegistryGrpcService } from '../../services/storage/src/adapters/grpc/key-registry.grpc';
import type { PostgresDataKeyRepository } from '../../services/storage/src/adapters/postgres/data-key.repository';
import type { RotateTenantKey } from '../../services/storage/src/use-cases/rotate-tenant-key.use-case';
import type { PurgeMeeting } from '../../services/storage/src/use-cases/purge-meeting.use-case';
import type { QueryMeetings } from '../../services/storage/src/use-cases/query-meetings.use-case';
import { lifecycleGrpcService } from '../../services/lifecycle/src/adapters/grpc/lifecycle.grpc';
import type { DeleteMeeting } from '../../services/lifecycle/src/use-cases/delete-meeting.use-case';
import { accessGrantGrpcService } from '../../services/lifecycle/src/adapters/grpc/access-grant.grpc';
import { auditGrpcService } from '../../services/lifecycle/src/adapters/grpc/audit.grpc';
import { certificateGrpcService } from '../../services/lifecycle/src/adapters/grpc/certificate.grpc';
import type { StaffGrantRecord } from '../../services/lifecycle/src/domain/staff-grant';
import type { AuditEventStore } from '../../services/lifecycle/src/ports/audit-event-store.port';
import type { DeletionCertificateStore } from '../../services/lifecycle/src/ports/deletion-certificate.port';
import type { ExportAuditLog } from '../../services/lifecycle/src/use-cases/export-audit-log.use-case';

/**
 * Promise 7 as a matrix: every gateway route x every kind of subject x {own tenant, other
 * tenant} x {no header, X-Confide-Tenant naming the target tenant}, on the real gateway app
 * (createGatewayApp) with the real PolicyEvaluator (policies/dist/policy.wasm) and tokens
 * from a real DevIssuer verified over its JWKS. Storage and lifecycle are fakes holding the
 * meetings of two tenants (storage is not the subject here; its RLS has its own tests).
 * Then every service RPC action x every service identity through the evaluator, and every
 * StorageService/LifecycleService RPC through the services' real gRPC handlers (authorizeRpc
 * over a loopback gRPC server) x every caller identity (trusted, trusted but not permitted,
 * impostor key, none) x every end user x both tenants named in the request: what a
 * compromised or buggy gateway could ask for on behalf of a user.
 * The same for lifecycle's staff-access grants, audit log and certificates: every
 * /api/access-grants, /api/audit/export, /api/certificates/:id and /api/signing-keys route,
 * and the erasure, restore, retention and audit-read routes (/api/users/:id/data,
 * /api/tenant/data, /api/meetings/:id/restore, /api/tenant/retention, /api/audit),
 * and every AccessGrantService, AuditService and CertificateService RPC through lifecycle's
 * real gRPC handlers; insights' ListAlertRules and transcription's DescribeEngine (GET
 * /api/tenant/processing) through theirs; and ingest's StreamMeeting for every subject's own
 * bearer token x both tenants, through the real ingest module.
 * Besides each expected status, no response may carry data of a tenant the subject has no
 * right to: every stored string is marked with its tenant and searched for in every body.
 */

const NOW = Date.UTC(2026, 2, 1, 9, 0, 0);
const TA = 'tenant-a';
const TB = 'tenant-b';
const mark = (tenant: string, what: string) => `SECRET-${tenant}-${what}`;

function stored(tenantId: string, meetingId: string, ownerId: string) {
  const meeting: Meeting & { ownerId: string } = {
    meetingId,
    tenantId,
    ownerId,
    title: mark(tenantId, `title-${meetingId}`),
    participants: [{ id: 'p1', speakerLabel: mark(tenantId, 'speaker') }],
    status: MeetingStatus.MEETING_STATUS_TRANSCRIBED,
    startedAtUnixMs: NOW - 3_600_000,
    endedAtUnixMs: NOW - 1_800_000,
    segmentCount: 1,
  };
  return {
    meeting,
    segments: [
      { segmentId: `${meetingId}:1`, meetingId, tenantId, trackId: 'p1', speakerLabel: mark(tenantId, 'speaker'), text: mark(tenantId, `words-${meetingId}`), startMs: 0, endMs: 900, isFinal: true, confidence: 0.9, sequence: 1 },
    ],
    alerts: [
      { alertId: `${meetingId}:a1`, meetingId, tenantId, ruleId: 'r1', severity: AlertSeverity.ALERT_SEVERITY_INFO, message: mark(tenantId, 'alert'), segmentId: `${meetingId}:1`, speakerLabel: mark(tenantId, 'speaker'), startMs: 0 },
    ],
    report: { meetingId, tenantId, summary: mark(tenantId, `summary-${meetingId}`), actionItems: [], decisions: [], engine: 'extractive-v1', generatedAtUnixMs: NOW },
  };
}

// Meetings: in each tenant one owned by that tenant's member and one owned by someone else.
const MEETINGS = {
  [TA]: { memberOwn: 'ma-member', others: 'ma-other' },
  [TB]: { memberOwn: 'mb-member', others: 'mb-other' },
} as const;

type Role = 'owner' | 'admin' | 'member-own' | 'member-others' | 'auditor' | 'staff-no-grant' | 'staff-expired-grant' | 'staff-grant' | 'admin-other-tenant';
interface SubjectSpec {
  role: Role;
  home: string;
  mint: MintOptions;
}
const SUBJECTS: SubjectSpec[] = [
  { role: 'owner', home: TA, mint: { sub: 'owner-a', tenant: TA, roles: ['owner'], mfa: true } },
  { role: 'admin', home: TA, mint: { sub: 'admin-a', tenant: TA, roles: ['admin'], mfa: false } },
  { role: 'member-own', home: TA, mint: { sub: 'member-a', tenant: TA, roles: ['member'], mfa: true } },
  { role: 'member-others', home: TA, mint: { sub: 'member-a', tenant: TA, roles: ['member'], mfa: true } },
  { role: 'auditor', home: TA, mint: { sub: 'auditor-a', tenant: TA, roles: ['auditor'], mfa: true } },
  { role: 'staff-no-grant', home: '', mint: { sub: 'staff-0', staff: true, mfa: true } },
  { role: 'staff-expired-grant', home: '', mint: { sub: 'staff-1', staff: true, mfa: true } },
  { role: 'staff-grant', home: '', mint: { sub: 'staff-2', staff: true, mfa: true } },
  { role: 'admin-other-tenant', home: TB, mint: { sub: 'admin-b', tenant: TB, roles: ['admin'], mfa: true } },
];

type MeetingRoute = 'list' | 'meeting' | 'transcript' | 'alerts' | 'report' | 'delete';
type RecordRoute = 'grant-request' | 'grant-list' | 'grant-approve' | 'grant-deny' | 'grant-revoke' | 'audit-export' | 'certificate' | 'signing-keys';
type ErasureRoute = 'erase-user' | 'erase-tenant' | 'restore' | 'retention-read' | 'retention-write' | 'audit-list';
/** The tenant key (storage's KeyRegistryService): rotation and its status, in the token's tenant. */
type KeyRoute = 'tenant-key-rotate' | 'tenant-key-status';
/** What processes the tenant's meetings (transcription's engine, insights' rules), in the token's tenant. */
type SettingsRoute = 'tenant-processing';
type Route = MeetingRoute | RecordRoute | ErasureRoute | KeyRoute | SettingsRoute;
const KEY_ROUTES: KeyRoute[] = ['tenant-key-rotate', 'tenant-key-status'];
const isKeyRoute = (route: Route): route is KeyRoute => (KEY_ROUTES as string[]).includes(route);
const ERASURE_ROUTES: ErasureRoute[] = ['erase-user', 'erase-tenant', 'restore', 'retention-read', 'retention-write', 'audit-list'];
const isErasureRoute = (route: Route): route is ErasureRoute => (ERASURE_ROUTES as string[]).includes(route);
const RECORD_ROUTES: RecordRoute[] = ['grant-request', 'grant-list', 'grant-approve', 'grant-deny', 'grant-revoke', 'audit-export', 'certificate', 'signing-keys'];
const ROUTES: Route[] = ['list', 'meeting', 'transcript', 'alerts', 'report', 'delete', ...RECORD_ROUTES, ...ERASURE_ROUTES, ...KEY_ROUTES, 'tenant-processing'];
const isRecordRoute = (route: Route): route is RecordRoute => (RECORD_ROUTES as string[]).includes(route);
/** Each tenant's grant and certificate ids (data marked with the tenant). */
const GRANT_ID = (tenant: string) => `g-${tenant}`;
const CERTIFICATE_ID = (tenant: string) => `c-${tenant}`;
type TenantSide = 'own' | 'other';

/** The tenant whose meeting a case targets: "own" is tenant A (home of every user but admin-b, for whom it is B). */
function targetTenant(s: SubjectSpec, side: TenantSide): string {
  const own = s.home === TB ? TB : TA;
  return side === 'own' ? own : own === TA ? TB : TA;
}

function targetMeeting(s: SubjectSpec, tenant: string): string {
  const m = MEETINGS[tenant as typeof TA];
  return s.role === 'member-own' ? m.memberOwn : m.others;
}

/** Lifecycle records routes: policies/README.md (grants, audit log, certificates). */
function expectedRecord(s: SubjectSpec, route: RecordRoute, tenant: string, header: boolean): number {
  if (s.role.startsWith('staff')) {
    if (!header) return 400;
    // Staff may request access to any tenant (a request, not access) and list their own grants.
    if (route === 'grant-request') return 201;
    if (route === 'grant-list') return 200;
    return 403;
  }
  const owner = s.role === 'owner';
  const admin = owner || s.role.startsWith('admin');
  const mfa = s.mint.mfa === true;
  const found = tenant === s.home ? 200 : 404; // users act in their token's tenant: another tenant's id is not found
  switch (route) {
    case 'grant-request':
      return 403;
    case 'grant-list':
      return admin ? 200 : 403;
    case 'grant-approve':
    case 'grant-deny':
    case 'grant-revoke':
      return admin && mfa ? found : 403;
    case 'audit-export':
      return (admin || s.role === 'auditor') && mfa ? 200 : 403;
    case 'certificate':
      return admin || s.role === 'auditor' ? found : 403;
    case 'signing-keys':
      return admin || s.role === 'auditor' ? 200 : 403;
  }
}

/**
 * Erasure, restore, retention and audit-read routes: they act in the token's tenant (no tenant in
 * the path), so the side does not matter for users; staff never get them, even with a grant.
 */
function expectedErasure(s: SubjectSpec, route: ErasureRoute, header: boolean): number {
  if (s.role.startsWith('staff')) return header ? 403 : 400;
  const owner = s.role === 'owner';
  const admin = owner || s.role.startsWith('admin');
  const mfa = s.mint.mfa === true;
  switch (route) {
    case 'erase-tenant':
      return owner && mfa ? 200 : 403;
    case 'erase-user':
    case 'restore':
    case 'retention-write':
      return admin && mfa ? 200 : 403;
    case 'retention-read':
      return admin ? 200 : 403;
    case 'audit-list':
      return admin || s.role === 'auditor' ? 200 : 403;
  }
}

/** Tenant-key routes: rotation for owners and admins with MFA (202), status with settings:read; never staff. */
function expectedKey(s: SubjectSpec, route: KeyRoute, header: boolean): number {
  if (s.role.startsWith('staff')) return header ? 403 : 400;
  const admin = s.role === 'owner' || s.role.startsWith('admin');
  if (route === 'tenant-key-rotate') return admin && s.mint.mfa === true ? 202 : 403;
  return admin ? 200 : 403;
}

/** The expected status, from policies/README.md's table and the gateway's rules. */
function expected(s: SubjectSpec, route: Route, tenant: string, header: boolean): number {
  if (isKeyRoute(route)) return expectedKey(s, route, header);
  // settings:read, like the tenant key's status.
  if (route === 'tenant-processing') return expectedKey(s, 'tenant-key-status', header);
  if (isRecordRoute(route)) return expectedRecord(s, route, tenant, header);
  if (isErasureRoute(route)) return expectedErasure(s, route, header);
  if (s.role.startsWith('staff')) {
    if (!header) return 400;
    if (s.role !== 'staff-grant' || tenant !== TA) return 403;
    return route === 'delete' ? 403 : 200;
  }
  // Users act in their token's tenant whatever the header says: another tenant's meeting is not found.
  if (tenant !== s.home) return route === 'list' ? 200 : 404;
  if (route === 'list') return 200;
  if (route === 'delete') return (s.role === 'owner' || s.role.startsWith('admin')) && s.mint.mfa ? 200 : 403;
  if (s.role === 'owner' || s.role.startsWith('admin')) return 200;
  if (s.role === 'member-own') return 200;
  return 403;
}

/** The tenants whose data may appear in a response to this subject. */
function entitledTenants(s: SubjectSpec): string[] {
  if (s.role === 'staff-grant') return [TA];
  if (s.role.startsWith('staff')) return [];
  return [s.home];
}

const SERVICES = ['gateway', 'lifecycle', 'ingest', 'transcription', 'insights', 'storage', 'billing'] as const;
const RPCS = [
  'confide.storage.v1.StorageService/ListMeetings',
  'confide.storage.v1.StorageService/GetMeeting',
  'confide.storage.v1.StorageService/GetTranscript',
  'confide.storage.v1.StorageService/ListAlerts',
  'confide.storage.v1.StorageService/GetReport',
  'confide.storage.v1.StorageService/PurgeMeeting',
  'confide.lifecycle.v1.LifecycleService/DeleteMeeting',
  'confide.lifecycle.v1.LifecycleService/EraseTenant',
  'confide.lifecycle.v1.LifecycleService/EraseUserData',
  'confide.lifecycle.v1.LifecycleService/RestoreArchivedMeeting',
  'confide.lifecycle.v1.LifecycleService/GetRetentionPolicy',
  'confide.lifecycle.v1.LifecycleService/SetRetentionPolicy',
  'confide.lifecycle.v1.AuditService/ListAuditEvents',
  'confide.lifecycle.v1.AccessGrantService/RequestAccessGrant',
  'confide.lifecycle.v1.AccessGrantService/ApproveAccessGrant',
  'confide.lifecycle.v1.AccessGrantService/DenyAccessGrant',
  'confide.lifecycle.v1.AccessGrantService/RevokeAccessGrant',
  'confide.lifecycle.v1.AccessGrantService/ListAccessGrants',
  'confide.lifecycle.v1.AuditService/ExportAuditLog',
  'confide.lifecycle.v1.AuditService/GetAuditHead',
  'confide.lifecycle.v1.CertificateService/GetDeletionCertificate',
  'confide.lifecycle.v1.CertificateService/ListDeletionCertificates',
  'confide.lifecycle.v1.CertificateService/GetSigningKeys',
  'confide.ingest.v1.IngestService/StreamMeeting',
  'confide.insights.v1.InsightsService/ListAlertRules',
  'confide.transcription.v1.TranscriptionService/DescribeEngine',
  'confide.storage.v1.KeyRegistryService/GetDataKey',
  'confide.storage.v1.KeyRegistryService/GetOrCreateDataKey',
  'confide.storage.v1.KeyRegistryService/DestroyDataKey',
  'confide.storage.v1.KeyRegistryService/RotateTenantKey',
  'confide.storage.v1.KeyRegistryService/GetTenantKeyStatus',
  'confide.lifecycle.v1.AccessGrantService/ListActiveGrantsForPolicy',
];
const KEY_DATA_RPCS = ['confide.storage.v1.KeyRegistryService/GetDataKey', 'confide.storage.v1.KeyRegistryService/GetOrCreateDataKey'];
const KEY_DESTROY_RPC = 'confide.storage.v1.KeyRegistryService/DestroyDataKey';
/** policies/README.md, "Services". */
const RPC_ALLOWED: Record<string, string[]> = {
  gateway: RPCS.filter((r) =>
    /StorageService\/(ListMeetings|GetMeeting|GetTranscript|ListAlerts|GetReport)$|LifecycleService\/(DeleteMeeting|EraseTenant|EraseUserData|RestoreArchivedMeeting|GetRetentionPolicy|SetRetentionPolicy)$|lifecycle\.v1\.(AccessGrantService|AuditService|CertificateService)\/|KeyRegistryService\/(RotateTenantKey|GetTenantKeyStatus)$|InsightsService\/ListAlertRules$|TranscriptionService\/DescribeEngine$/.test(r),
  ),
  lifecycle: ['confide.storage.v1.StorageService/PurgeMeeting', ...KEY_DATA_RPCS, KEY_DESTROY_RPC],
  ingest: KEY_DATA_RPCS,
  transcription: [...KEY_DATA_RPCS, KEY_DESTROY_RPC],
  insights: KEY_DATA_RPCS,
  // The all-in-one process's keyring signs as storage (packages/cli/src/all-in-one.ts).
  // ... and, in the microservices mode, reads the staff grants from lifecycle.
  storage: [...KEY_DATA_RPCS, KEY_DESTROY_RPC, 'confide.lifecycle.v1.AccessGrantService/ListActiveGrantsForPolicy'],
};

describe('isolation matrix', () => {
  let issuer: DevIssuer;
  let evaluator: PolicyEvaluator;
  let app: ReturnType<typeof createGatewayApp>;
  const lifecycle = new FakeLifecycle();
  const tenantKeys = new FakeTenantKeys();
  const processing = new FakeProcessing();
  const tokens = new Map<Role, string>();
  let httpCases = 0;
  let rpcCases = 0;

  beforeAll(async () => {
    const logger = createLogger({ service: 'isolation-matrix', level: 'silent' });
    issuer = await DevIssuer.start();
    evaluator = await PolicyEvaluator.load({ logger, watch: false });
    const storage = new FakeStorage();
    for (const tenant of [TA, TB]) {
      storage.add(stored(tenant, MEETINGS[tenant as typeof TA].memberOwn, tenant === TA ? 'member-a' : 'member-b'));
      storage.add(stored(tenant, MEETINGS[tenant as typeof TA].others, tenant === TA ? 'someone-a' : 'someone-b'));
    }
    const grant = { tenant: TA, scope: 'tenant' as const, meeting: '', reason: 'ticket 7', approved_by: 'owner-a', revoked: false };
    const grants = new InMemoryGrantStore().add(
      { ...grant, id: 'g-expired', staff_id: 'staff-1', approved_at: NOW - 10 * 3_600_000, expires_at: NOW - 3_600_000 },
      { ...grant, id: 'g-active', staff_id: 'staff-2', approved_at: NOW - 3_600_000, expires_at: NOW + 3_600_000 },
    );
    const auditor: DecisionAuditor = { record: async () => undefined };
    const records = new FakeLifecycleRecords();
    for (const tenant of [TA, TB]) {
      records.auditEntriesByTenant.set(tenant, [{ ...records.auditEntries[0]!, actor: mark(tenant, 'audit-actor') }]);
    }
    for (const tenant of [TA, TB]) {
      records.grants.push({
        grantId: GRANT_ID(tenant), tenantId: tenant, staffId: 'staff-9', reason: mark(tenant, 'grant-reason'),
        scope: AccessGrantScope.ACCESS_GRANT_SCOPE_TENANT, meetingId: '', requestedAtUnixMs: NOW, requestedDurationMs: 3_600_000,
        approvedBy: '', approvedAtUnixMs: 0, deniedBy: '', deniedAtUnixMs: 0, revokedBy: '', revokedAtUnixMs: 0, expiresAtUnixMs: 0,
        status: AccessGrantStatus.ACCESS_GRANT_STATUS_PENDING,
      });
      records.certificates.push({
        certificateId: CERTIFICATE_ID(tenant), tenantId: tenant, meetingId: MEETINGS[tenant as typeof TA].others, issuedAtUnixMs: NOW,
        signingKeyVersion: 1, document: JSON.stringify({ certificate_id: CERTIFICATE_ID(tenant), tenant_id: tenant, reason: mark(tenant, 'erasure') }),
      });
      records.auditLinesByTenant.set(tenant, [JSON.stringify({ type: 'header', tenant_id: tenant }), JSON.stringify({ type: 'event', actor: mark(tenant, 'actor') })]);
    }
    app = createGatewayApp({
      storage,
      lifecycle,
      records,
      tenantKeys,
      processing,
      logger,
      authenticator: new OidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl }),
      evaluator,
      auditor,
      grants,
      clock: { now: () => NOW },
    });
    for (const s of SUBJECTS) tokens.set(s.role, await issuer.mint({ ...s.mint, expiresInSec: 3600 }));
  });

  afterAll(async () => {
    evaluator.close();
    await issuer.stop();
  });

  const httpMatrix = SUBJECTS.flatMap((s) =>
    ROUTES.flatMap((route) =>
      (['own', 'other'] as TenantSide[]).flatMap((side) => [false, true].map((header) => ({ s, route, side, header }))),
    ),
  );

  it.each(httpMatrix.map((c) => [`${c.s.role} ${c.route} ${c.side}-tenant ${c.header ? 'with' : 'without'} X-Confide-Tenant`, c] as const))(
    'HTTP %s',
    async (_name, { s, route, side, header }) => {
      const tenant = targetTenant(s, side);
      const meetingId = targetMeeting(s, tenant);
      const recordRequests: Record<RecordRoute, () => request.Test> = {
        'grant-request': () => request(app).post('/api/access-grants').send({ reason: 'matrix', scope: 'tenant' }),
        'grant-list': () => request(app).get('/api/access-grants'),
        'grant-approve': () => request(app).post(`/api/access-grants/${GRANT_ID(tenant)}/approve`),
        'grant-deny': () => request(app).post(`/api/access-grants/${GRANT_ID(tenant)}/deny`),
        'grant-revoke': () => request(app).delete(`/api/access-grants/${GRANT_ID(tenant)}`),
        'audit-export': () => request(app).get('/api/audit/export'),
        certificate: () => request(app).get(`/api/certificates/${CERTIFICATE_ID(tenant)}`),
        'signing-keys': () => request(app).get('/api/signing-keys'),
      };
      const erasureRequests: Record<ErasureRoute, () => request.Test> = {
        'erase-user': () => request(app).delete('/api/users/p1/data'),
        'erase-tenant': () => request(app).delete('/api/tenant/data'),
        restore: () => request(app).post(`/api/meetings/${meetingId}/restore`),
        'retention-read': () => request(app).get('/api/tenant/retention'),
        'retention-write': () => request(app).put('/api/tenant/retention').send({ days: 30, action: 'archive' }),
        'audit-list': () => request(app).get('/api/audit'),
      };
      const keyRequests: Record<KeyRoute, () => request.Test> = {
        'tenant-key-rotate': () => request(app).post('/api/tenant/keys/rotate'),
        'tenant-key-status': () => request(app).get('/api/tenant/keys'),
      };
      const lifecycleCallsBefore = lifecycle.calls.length;
      const keyCallsBefore = tenantKeys.calls.length;
      const processingCallsBefore = processing.calls.length;
      const path = route === 'list' ? '/api/meetings' : route === 'meeting' || route === 'delete' ? `/api/meetings/${meetingId}` : `/api/meetings/${meetingId}/${route}`;
      let req = route === 'tenant-processing'
        ? request(app).get('/api/tenant/processing')
        : isKeyRoute(route)
        ? keyRequests[route]()
        : isRecordRoute(route)
        ? recordRequests[route]()
        : isErasureRoute(route)
          ? erasureRequests[route]()
          : route === 'delete'
            ? request(app).delete(path)
            : request(app).get(path);
      req = req.set('Authorization', `Bearer ${tokens.get(s.role)}`);
      if (header) req = req.set('X-Confide-Tenant', tenant);
      const res = await req;
      httpCases += 1;
      expect(res.status).toBe(expected(s, route, tenant, header));
      if (res.status >= 400) expect(Object.keys(JSON.parse(res.text).error).sort()).toEqual(['code', 'message', 'requestId']);
      if (res.status === 403) expect(res.body.error).toMatchObject({ code: 'forbidden', message: 'the request is not permitted' });
      // Zero cross-tenant reads: nothing of a tenant the subject is not entitled to.
      for (const t of [TA, TB].filter((x) => !entitledTenants(s).includes(x))) expect(res.text).not.toContain(`SECRET-${t}-`);
      if (isErasureRoute(route)) {
        // Lifecycle is asked only when allowed, and only in the subject's own tenant.
        const calls = lifecycle.calls.slice(lifecycleCallsBefore) as Array<{ command: { tenantId: string } }>;
        if (res.status !== 200 || route === 'audit-list') expect(calls).toEqual([]);
        else expect(calls.map((c) => c.command.tenantId)).toEqual([s.home]);
        if (res.status === 200 && route === 'audit-list') expect(res.text).toContain(`SECRET-${s.home}-audit-actor`);
      }
      // Storage's key registry is asked only when allowed, and only for the subject's own tenant.
      const keyCalls = tenantKeys.calls.slice(keyCallsBefore).map((c) => c.tenantId);
      expect(keyCalls).toEqual(isKeyRoute(route) && res.status < 400 ? [s.home] : []);
      // Transcription and insights are asked only when allowed, and only for the subject's own tenant.
      expect(processing.calls.slice(processingCallsBefore).map((c) => c.tenantId)).toEqual(route === 'tenant-processing' && res.status < 400 ? [s.home] : []);
      if (isRecordRoute(route)) {
        // Users act in their token's tenant: what they get is marked with it (staff list only their own grants: none here).
        if (res.status === 200 && ['grant-list', 'grant-approve', 'grant-deny', 'grant-revoke', 'audit-export', 'certificate'].includes(route) && !s.role.startsWith('staff')) {
          expect(res.text).toContain(`SECRET-${s.home}-`);
        }
      } else if (res.status === 200 && route !== 'delete' && !isErasureRoute(route) && !isKeyRoute(route) && route !== 'tenant-processing') expect(res.text).toContain(`SECRET-${route === 'list' ? (s.role === 'staff-grant' ? TA : s.home) : tenant}-`);
    },
  );

  const subjects: Array<[string, PolicySubject]> = [
    ...SERVICES.map((svc) => [svc, { id: svc, tenant: '', roles: [], kind: 'service', mfa: false, service: svc }] as [string, PolicySubject]),
    ['user owner', { id: 'owner-a', tenant: TA, roles: ['owner'], kind: 'user', mfa: true }],
    ['staff', { id: 'staff-2', tenant: '', roles: [], kind: 'staff', mfa: true }],
  ];
  const rpcMatrix = subjects.flatMap(([name, subject]) => RPCS.map((rpc) => ({ name, subject, rpc })));

  it.each(rpcMatrix.map((c) => [`${c.name} -> ${c.rpc}`, c] as const))('RPC %s', (_n, { subject, rpc }) => {
    const decision = evaluator.evaluate(
      buildPolicyInput({ subject, action: rpcAction(rpc), resource: { kind: 'rpc' }, now: NOW }),
    );
    rpcCases += 1;
    const allowed = subject.kind === 'service' && (RPC_ALLOWED[subject.service ?? ''] ?? []).includes(rpc);
    expect(decision.allow).toBe(allowed);
    expect(decision.reasons.length).toBeGreaterThan(0);
  });

  describe('service RPCs as storage and lifecycle enforce them', () => {
    type Outcome = 'served' | 'unauthenticated' | 'permission-denied';
    type Caller = 'gateway' | 'lifecycle' | 'ingest' | 'transcription' | 'storage' | 'impostor-gateway' | 'none';
    const CALLERS: Caller[] = ['gateway', 'lifecycle', 'ingest', 'transcription', 'storage', 'impostor-gateway', 'none'];
    type EndUser = 'owner-a' | 'admin-a-no-mfa' | 'member-a' | 'auditor-a' | 'admin-b' | 'staff-grant-a' | 'staff-no-grant' | 'no-end-user';
    const END_USERS: Record<EndUser, Subject | undefined> = {
      'owner-a': { id: 'owner-a', tenant: TA, roles: ['owner'], kind: 'user', mfa: true },
      'admin-a-no-mfa': { id: 'admin-a', tenant: TA, roles: ['admin'], kind: 'user', mfa: false },
      'member-a': { id: 'member-a', tenant: TA, roles: ['member'], kind: 'user', mfa: true },
      'auditor-a': { id: 'auditor-a', tenant: TA, roles: ['auditor'], kind: 'user', mfa: true },
      'admin-b': { id: 'admin-b', tenant: TB, roles: ['admin'], kind: 'user', mfa: true },
      'staff-grant-a': { id: 'staff-2', tenant: '', roles: [], kind: 'staff', mfa: true },
      'staff-no-grant': { id: 'staff-0', tenant: '', roles: [], kind: 'staff', mfa: true },
      'no-end-user': undefined,
    };
    type RecordRpc =
      | 'RequestAccessGrant'
      | 'ApproveAccessGrant'
      | 'DenyAccessGrant'
      | 'RevokeAccessGrant'
      | 'ListAccessGrants'
      | 'ExportAuditLog'
      | 'GetAuditHead'
      | 'GetDeletionCertificate'
      | 'ListDeletionCertificates'
      | 'GetSigningKeys';
    /** storage's KeyRegistryService (ADR 0009): data-key RPCs are service-only, rotation and status act for a user. */
    type KeyRpc = 'GetDataKey' | 'GetOrCreateDataKey' | 'DestroyDataKey' | 'RotateTenantKey' | 'GetTenantKeyStatus';
    const KEY_RPCS: KeyRpc[] = ['GetDataKey', 'GetOrCreateDataKey', 'DestroyDataKey', 'RotateTenantKey', 'GetTenantKeyStatus'];
    const isKeyRpc = (rpc: Rpc): rpc is KeyRpc => (KEY_RPCS as string[]).includes(rpc);
    /** Insights' and transcription's RPCs (GET /api/tenant/processing): settings:read, for the gateway only. */
    type ProcessingRpc = 'ListAlertRules' | 'DescribeEngine';
    const PROCESSING_RPCS: ProcessingRpc[] = ['ListAlertRules', 'DescribeEngine'];
    const isProcessingRpc = (rpc: Rpc): rpc is ProcessingRpc => (PROCESSING_RPCS as string[]).includes(rpc);
    type Rpc = 'ListMeetings' | 'GetMeeting' | 'GetTranscript' | 'ListAlerts' | 'GetReport' | 'PurgeMeeting' | 'DeleteMeeting' | RecordRpc | KeyRpc | ProcessingRpc;
    const RECORD_RPCS: RecordRpc[] = [
      'RequestAccessGrant',
      'ApproveAccessGrant',
      'DenyAccessGrant',
      'RevokeAccessGrant',
      'ListAccessGrants',
      'ExportAuditLog',
      'GetAuditHead',
      'GetDeletionCertificate',
      'ListDeletionCertificates',
      'GetSigningKeys',
    ];
    const SERVICE_RPCS: Rpc[] = ['ListMeetings', 'GetMeeting', 'GetTranscript', 'ListAlerts', 'GetReport', 'PurgeMeeting', 'DeleteMeeting', ...RECORD_RPCS, ...KEY_RPCS, ...PROCESSING_RPCS];
    const isRecordRpc = (rpc: Rpc): rpc is RecordRpc => (RECORD_RPCS as string[]).includes(rpc);

    /** Lifecycle's AccessGrantService, AuditService, CertificateService (policies/README.md). */
    function expectedRecordOutcome(subject: Subject | undefined, rpc: RecordRpc, tenant: string): Outcome {
      if (rpc === 'GetSigningKeys') return 'served'; // public keys: the caller service's rpc: action only
      if (!subject) return 'permission-denied';
      if (subject.kind === 'staff') return rpc === 'RequestAccessGrant' || rpc === 'ListAccessGrants' ? 'served' : 'permission-denied';
      if (subject.tenant !== tenant) return 'permission-denied';
      const admin = subject.roles.includes('owner') || subject.roles.includes('admin');
      const auditor = subject.roles.includes('auditor');
      switch (rpc) {
        case 'RequestAccessGrant':
          return 'permission-denied';
        case 'ListAccessGrants':
          return admin ? 'served' : 'permission-denied';
        case 'ApproveAccessGrant':
        case 'DenyAccessGrant':
        case 'RevokeAccessGrant':
          return admin && subject.mfa ? 'served' : 'permission-denied';
        case 'ExportAuditLog':
          return (admin || auditor) && subject.mfa ? 'served' : 'permission-denied';
        default:
          return admin || auditor ? 'served' : 'permission-denied';
      }
    }
    const READS: Rpc[] = ['GetMeeting', 'GetTranscript', 'ListAlerts', 'GetReport'];

    /** What the caller may do: policies/README.md "Services" and "Actions" (storage knows no owner: members read nothing). */
    /** The key RPCs each caller service may call (policies/authz/services.rego). */
    const KEY_PERMITTED: Record<Caller, KeyRpc[]> = {
      gateway: ['RotateTenantKey', 'GetTenantKeyStatus'],
      lifecycle: ['GetDataKey', 'GetOrCreateDataKey', 'DestroyDataKey'],
      ingest: ['GetDataKey', 'GetOrCreateDataKey'],
      transcription: ['GetDataKey', 'GetOrCreateDataKey', 'DestroyDataKey'],
      storage: ['GetDataKey', 'GetOrCreateDataKey', 'DestroyDataKey'],
      'impostor-gateway': [],
      none: [],
    };

    function expectedKeyOutcome(caller: Caller, user: EndUser, rpc: KeyRpc, tenant: string): Outcome {
      if (!KEY_PERMITTED[caller].includes(rpc)) return 'permission-denied';
      if (rpc !== 'RotateTenantKey' && rpc !== 'GetTenantKeyStatus') return 'served'; // service-only: no end user is involved
      const subject = END_USERS[user];
      if (!subject || subject.kind !== 'user' || subject.tenant !== tenant) return 'permission-denied';
      const admin = subject.roles.includes('owner') || subject.roles.includes('admin');
      if (rpc === 'RotateTenantKey') return admin && subject.mfa ? 'served' : 'permission-denied';
      return admin ? 'served' : 'permission-denied'; // settings:read
    }

    function expectedOutcome(caller: Caller, user: EndUser, rpc: Rpc, tenant: string): Outcome {
      if (caller === 'none' || caller === 'impostor-gateway') return 'unauthenticated';
      if (isKeyRpc(rpc)) return expectedKeyOutcome(caller, user, rpc, tenant);
      if (isProcessingRpc(rpc)) {
        if (caller !== 'gateway') return 'permission-denied';
        const subject = END_USERS[user];
        if (!subject || subject.kind !== 'user') return 'permission-denied';
        // ListAlertRules names a tenant; DescribeEngine names none and is decided on the user's own.
        if (rpc === 'ListAlertRules' && subject.tenant !== tenant) return 'permission-denied';
        return subject.roles.includes('owner') || subject.roles.includes('admin') ? 'served' : 'permission-denied';
      }
      const permitted = caller === 'gateway' ? rpc !== 'PurgeMeeting' : caller === 'lifecycle' ? rpc === 'PurgeMeeting' : false;
      if (!permitted) return 'permission-denied';
      if (rpc === 'PurgeMeeting') return 'served'; // service-only: no end user is involved
      const subject = END_USERS[user];
      if (isRecordRpc(rpc)) return expectedRecordOutcome(subject, rpc, tenant);
      if (!subject) return 'permission-denied';
      if (subject.kind === 'staff') {
        return user === 'staff-grant-a' && tenant === TA && rpc !== 'DeleteMeeting' ? 'served' : 'permission-denied';
      }
      if (subject.tenant !== tenant) return 'permission-denied';
      if (rpc === 'ListMeetings') return 'served';
      const admin = subject.roles.includes('owner') || subject.roles.includes('admin');
      if (rpc === 'DeleteMeeting') return admin && subject.mfa ? 'served' : 'permission-denied';
      return admin && READS.includes(rpc) ? 'served' : 'permission-denied';
    }

    let server: GrpcServer;
    let storageClient: StorageServiceClient;
    let lifecycleClient: LifecycleServiceClient;
    let grantsClient: AccessGrantServiceClient;
    let auditClient: AuditServiceClient;
    let certificatesClient: CertificateServiceClient;
    let keysClient: KeyRegistryServiceClient;
    let insightsClient: InsightsServiceClient;
    let transcriptionClient: TranscriptionServiceClient;
    const signers = new Map<Caller, SubjectAssertionSigner>();
    const served: Array<{ rpc: string; tenant: string }> = [];
    let enforcedCases = 0;

    beforeAll(async () => {
      const logger = createLogger({ service: 'isolation-matrix', level: 'silent' });
      const trust = await generateServiceTrust(['gateway', 'lifecycle', 'ingest', 'transcription', 'storage']);
      const impostor = await generateServiceTrust(['gateway']);
      for (const name of ['gateway', 'lifecycle', 'ingest', 'transcription', 'storage'] as const) signers.set(name, trust.signer(name));
      signers.set('impostor-gateway', impostor.signer('gateway'));
      const grant = { tenant: TA, scope: 'tenant' as const, meeting: '', reason: 'ticket 7', approved_by: 'owner-a', revoked: false };
      const authorization: RpcAuthorizationDeps = {
        evaluator,
        verifier: trust.verifier,
        auditor: { record: async () => undefined },
        grants: new InMemoryGrantStore().add({ ...grant, id: 'g-active', staff_id: 'staff-2', approved_at: NOW - 3_600_000, expires_at: NOW + 3_600_000 }),
        clock: { now: () => NOW },
      };
      // The use cases behind the handlers: they answer with data marked by the request's tenant.
      const record = <T>(rpc: string, tenant: string, value: T): T => {
        served.push({ rpc, tenant });
        return value;
      };
      const queries = {
        list: async (r: { tenantId: string }) => record('ListMeetings', r.tenantId, { meetings: [stored(r.tenantId, 'm1', 'x').meeting], nextPageToken: '' }),
        get: async (r: { tenantId: string; meetingId: string }) => record('GetMeeting', r.tenantId, stored(r.tenantId, r.meetingId, 'x').meeting),
        transcript: async (r: { tenantId: string; meetingId: string }) => record('GetTranscript', r.tenantId, stored(r.tenantId, r.meetingId, 'x').segments),
        alerts: async (r: { tenantId: string; meetingId: string }) => record('ListAlerts', r.tenantId, stored(r.tenantId, r.meetingId, 'x').alerts),
        report: async (r: { tenantId: string; meetingId: string }) => record('GetReport', r.tenantId, stored(r.tenantId, r.meetingId, 'x').report),
      } as unknown as QueryMeetings;
      const purgeMeeting = {
        execute: async (r: { tenantId: string }) => record('PurgeMeeting', r.tenantId, { meetings: 1, segments: 1, alerts: 1, reports: 1 }),
      } as unknown as PurgeMeeting;
      const deleteMeeting = {
        execute: async (r: { tenantId: string; meetingId: string }) =>
          record('DeleteMeeting', r.tenantId, { meetingId: r.meetingId, erased: { meetings: 1, segments: 1, alerts: 1, reports: 1 }, erasedAtMs: NOW }),
      } as unknown as DeleteMeeting;
      const grantOf = (tenantId: string, grantId: string, staffId = 'staff-9'): StaffGrantRecord => ({
        id: grantId, tenantId, staffId, reason: mark(tenantId, 'grant-reason'), scope: 'tenant', meetingId: '', requestedAtMs: NOW,
        requestedDurationMs: 3_600_000, approvedBy: null, approvedAtMs: null, deniedBy: null, deniedAtMs: null, revokedBy: null, revokedAtMs: null, expiresAtMs: null,
      });
      const grantUseCase = (rpc: string) => ({
        execute: async (r: { tenantId: string; grantId?: string; staffId?: string }) => record(rpc, r.tenantId, grantOf(r.tenantId, r.grantId ?? 'g-new', r.staffId)),
      });
      const certificateOf = (tenantId: string) => ({
        certificate: { certificate_id: 'c1', tenant_id: tenantId, subject: { kind: 'meeting', meeting_id: 'm' }, issued_at: new Date(NOW).toISOString(), signing_key_version: 1 },
        document: JSON.stringify({ tenant_id: tenantId, reason: mark(tenantId, 'erasure') }),
      });
      const certificateStore = {
        get: async (tenantId: string) => record('GetDeletionCertificate', tenantId, certificateOf(tenantId)),
        listForMeeting: async (tenantId: string) => record('ListDeletionCertificates', tenantId, [certificateOf(tenantId)]),
      } as unknown as DeletionCertificateStore;
      const auditStore = {
        head: async (tenantId: string) => record('GetAuditHead', tenantId, { seq: 1, hash: 'a'.repeat(64) }),
        latestCheckpoint: async () => undefined,
      } as unknown as AuditEventStore;
      const exporter = {
        lines: async function* (tenantId: string) {
          record('ExportAuditLog', tenantId, undefined);
          yield JSON.stringify({ type: 'event', actor: mark(tenantId, 'actor') });
        },
      } as unknown as ExportAuditLog;
      const kms = { publicKeys: async () => record('GetSigningKeys', '', [{ version: 1, publicKeyPem: 'pem', publicKeyBase64: 'b64', createdAt: new Date(NOW).toISOString() }]) };
      // The key registry's table: wrapped keys marked by the request's tenant.
      const wrappedOf = (tenantId: string) => ({ state: 'active' as const, keyName: `confide-tenant-${tenantId}`, wrapped: mark(tenantId, 'wrapped'), keyVersion: 1 });
      const dataKeys = {
        get: async (tenantId: string) => record('GetDataKey', tenantId, wrappedOf(tenantId)),
        destroyedAt: async () => undefined,
        putIfAbsent: async (tenantId: string) => record('GetOrCreateDataKey', tenantId, wrappedOf(tenantId)),
        destroy: async (tenantId: string) => record('DestroyDataKey', tenantId, true),
        versionCounts: async (tenantId: string) => record('GetTenantKeyStatus', tenantId, { 1: 2 }),
      } as unknown as PostgresDataKeyRepository;
      const rotation = {
        rotate: async (tenantId: string) => record('RotateTenantKey', tenantId, { rewrap: Promise.resolve({ rewrapped: 0 }) }),
        isRunning: () => false,
      } as unknown as RotateTenantKey;
      server = new GrpcServer({ address: '127.0.0.1:0', logger, reflection: false });
      server.add(keyRegistryGrpcService({ logger, keys: dataKeys, rotation, authorization }));
      server.add(storageGrpcService({ logger, queries, purgeMeeting, authorization }));
      server.add(lifecycleGrpcService({ logger, deleteMeeting, authorization }));
      server.add(
        accessGrantGrpcService({
          logger,
          clock: { now: () => NOW },
          request: grantUseCase('RequestAccessGrant') as never,
          approve: grantUseCase('ApproveAccessGrant') as never,
          deny: grantUseCase('DenyAccessGrant') as never,
          revoke: grantUseCase('RevokeAccessGrant') as never,
          list: { execute: async (r: { tenantId: string }) => record('ListAccessGrants', r.tenantId, [grantOf(r.tenantId, 'g-1')]) } as never,
          authorization,
        }),
      );
      server.add(auditGrpcService({ logger, store: auditStore, exporter, authorization }));
      const listAlertRules = {
        execute: async (r: { tenantId: string }) =>
          record('ListAlertRules', r.tenantId, { rules: [{ ruleId: mark(r.tenantId, 'rule'), description: 'd', kind: 'pii' }], reportEngine: 'extractive-v1' }),
      } as unknown as ListAlertRules;
      server.add(insightsGrpcService({ logger, listAlertRules, authorization }));
      // The engine knows no tenant: a served DescribeEngine is recorded with none.
      const engine: SttEngine = {
        info: { engine: 'pocketsphinx', language: 'en-US', destination: 'local' },
        openSession: () => {
          throw new Error('not in this test');
        },
        activeSessions: () => record('DescribeEngine', '', 0),
      };
      server.add(transcriptionGrpcService(engine, logger, authorization));
      server.add(certificateGrpcService({ logger, store: certificateStore, kms, signingKeyName: 'confide-signing', authorization }));
      const { port } = await server.start();
      storageClient = createGrpcClient(StorageServiceClient, `127.0.0.1:${port}`);
      lifecycleClient = createGrpcClient(LifecycleServiceClient, `127.0.0.1:${port}`);
      grantsClient = createGrpcClient(AccessGrantServiceClient, `127.0.0.1:${port}`);
      auditClient = createGrpcClient(AuditServiceClient, `127.0.0.1:${port}`);
      certificatesClient = createGrpcClient(CertificateServiceClient, `127.0.0.1:${port}`);
      keysClient = createGrpcClient(KeyRegistryServiceClient, `127.0.0.1:${port}`);
      insightsClient = createGrpcClient(InsightsServiceClient, `127.0.0.1:${port}`);
      transcriptionClient = createGrpcClient(TranscriptionServiceClient, `127.0.0.1:${port}`);
    });

    afterAll(async () => {
      storageClient?.close();
      lifecycleClient?.close();
      grantsClient?.close();
      auditClient?.close();
      certificatesClient?.close();
      keysClient?.close();
      insightsClient?.close();
      transcriptionClient?.close();
      await server?.shutdown({ graceMs: 0 });
    });

    const enforcedMatrix = CALLERS.flatMap((caller) =>
      (Object.keys(END_USERS) as EndUser[]).flatMap((user) =>
        SERVICE_RPCS.flatMap((rpc) => [TA, TB].map((tenant) => ({ caller, user, rpc, tenant }))),
      ),
    );

    it.each(enforcedMatrix.map((c) => [`${c.caller} for ${c.user} -> ${c.rpc} naming ${c.tenant}`, c] as const))(
      'gRPC %s',
      async (_name, { caller, user, rpc, tenant }) => {
        const signer = signers.get(caller);
        const assertion = signer ? await signer.sign(END_USERS[user]) : undefined;
        const metadata = assertion ? { metadata: subjectAssertionMetadata(assertion) } : {};
        const meetingId = tenant === TA ? MEETINGS[TA].others : MEETINGS[TB].others;
        const before = served.length;
        const call = (): Promise<unknown> => {
          const method = rpc.charAt(0).toLowerCase() + rpc.slice(1);
          if (rpc === 'DeleteMeeting') {
            return callUnary(lifecycleClient, method, { tenantId: tenant, meetingId, requestedBy: 'forged-requester', reason: '' }, metadata);
          }
          const grantRef = { tenantId: tenant, grantId: GRANT_ID(tenant) };
          switch (rpc) {
            case 'RequestAccessGrant':
              return callUnary(grantsClient, method, { tenantId: tenant, staffId: 'forged', reason: 'matrix', scope: AccessGrantScope.ACCESS_GRANT_SCOPE_TENANT, meetingId: '', durationMs: 0 }, metadata);
            case 'ApproveAccessGrant':
              return callUnary(grantsClient, method, { ...grantRef, approvedBy: 'forged', durationMs: 0 }, metadata);
            case 'DenyAccessGrant':
              return callUnary(grantsClient, method, { ...grantRef, deniedBy: 'forged' }, metadata);
            case 'RevokeAccessGrant':
              return callUnary(grantsClient, method, { ...grantRef, revokedBy: 'forged' }, metadata);
            case 'ListAccessGrants':
              return callUnary(grantsClient, method, { tenantId: tenant, staffId: '' }, metadata);
            case 'GetAuditHead':
              return callUnary(auditClient, method, { tenantId: tenant }, metadata);
            case 'ExportAuditLog':
              return (async () => {
                const given = (metadata as { metadata?: ReturnType<typeof subjectAssertionMetadata> }).metadata;
                const stream = given ? auditClient.exportAuditLog({ tenantId: tenant }, given) : auditClient.exportAuditLog({ tenantId: tenant });
                const lines: string[] = [];
                for await (const m of stream as AsyncIterable<ExportAuditLogResponse>) lines.push(...m.lines);
                return lines;
              })();
            case 'GetDeletionCertificate':
              return callUnary(certificatesClient, method, { tenantId: tenant, certificateId: CERTIFICATE_ID(tenant) }, metadata);
            case 'ListDeletionCertificates':
              return callUnary(certificatesClient, method, { tenantId: tenant, meetingId }, metadata);
            case 'GetSigningKeys':
              return callUnary(certificatesClient, method, {}, metadata);
            case 'GetDataKey':
            case 'DestroyDataKey':
              return callUnary(keysClient, method, { tenantId: tenant, meetingId, purpose: DataKeyPurpose.DATA_KEY_PURPOSE_MEETING }, metadata);
            case 'GetOrCreateDataKey':
              return callUnary(
                keysClient,
                method,
                { tenantId: tenant, meetingId, purpose: DataKeyPurpose.DATA_KEY_PURPOSE_MEETING, candidate: { keyName: `confide-tenant-${tenant}`, wrapped: 'vault:v1:b2ZmZXI=', keyVersion: 1 } },
                metadata,
              );
            case 'RotateTenantKey':
            case 'GetTenantKeyStatus':
              return callUnary(keysClient, method, { tenantId: tenant }, metadata);
            case 'ListAlertRules':
              return callUnary(insightsClient, method, { tenantId: tenant }, metadata);
            case 'DescribeEngine':
              return callUnary(transcriptionClient, method, {}, metadata);
            default:
              break;
          }
          const req = rpc === 'ListMeetings' ? { tenantId: tenant, pageSize: 10, pageToken: '' } : { tenantId: tenant, meetingId };
          return callUnary(storageClient, method, req, metadata);
        };
        const outcome = await call().then(
          (res) => ({ kind: 'served' as const, text: JSON.stringify(res) }),
          (err: unknown) => ({ kind: isServiceError(err) ? grpcStatusToAppError(err).kind : 'other', text: err instanceof Error ? err.message : '' }),
        );
        enforcedCases += 1;
        expect(outcome.kind).toBe(expectedOutcome(caller, user, rpc, tenant));
        if (outcome.kind === 'served') {
          expect(served.slice(before)).toEqual([{ rpc, tenant: rpc === 'GetSigningKeys' || rpc === 'DescribeEngine' ? '' : tenant }]);
          const other = tenant === TA ? TB : TA;
          expect(outcome.text).not.toContain(`SECRET-${other}-`);
        } else {
          // Refused before the use case ran, with a fixed message naming nothing.
          expect(served.length).toBe(before);
          expect(outcome.text).not.toMatch(/SECRET|tenant-|staff-|owner-|admin-|member-|auditor-|ma-|mb-/);
        }
      },
    );

    it('covered every caller x end user x RPC x tenant', () => {
      expect(enforcedCases).toBe(enforcedMatrix.length);
    });
  });

  describe('StreamMeeting as ingest enforces it (each subject streaming with its own bearer token)', () => {
    let bus: InProcessEventBus;
    let running: Awaited<ReturnType<typeof runServiceModules>>;
    let client: IngestServiceClient;
    let observer: { close(): Promise<void> };
    const started = new Set<string>();
    const accepted = new Set<string>();

    beforeAll(async () => {
      const logger = createLogger({ service: 'isolation-matrix', level: 'silent' });
      bus = new InProcessEventBus({ logger });
      const module = createIngestModule({
        logger,
        bus,
        config: { INGEST_COMPLETION_TIMEOUT: 60_000, INGEST_MAX_PENDING_RESPONSES: 100, INGEST_INSTANCE_ID: 'isolation-matrix' },
        access: new PolicyStreamAccess({
          authenticator: new OidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl }),
          evaluator,
          auditor: { record: async () => undefined },
          clock: { now: () => NOW },
        }),
      });
      const router = new EventRouter(logger).on(Events.MeetingStarted, async (e) => {
        started.add(`${e.tenantId}/${e.meetingId}`);
      });
      observer = await bus.subscribe({ groupId: 'isolation-matrix-observer', topics: [Topics.meeting], handler: router.handler });
      running = await runServiceModules({ modules: [module], server: new GrpcServer({ address: '127.0.0.1:0', logger, reflection: false }), logger, graceMs: 0 });
      client = createGrpcClient(IngestServiceClient, `127.0.0.1:${running.port}`);
    });

    afterAll(async () => {
      client?.close();
      await running?.stop();
      await observer?.close();
      await bus?.close();
    });

    const streamMatrix = [...SUBJECTS.map((s) => ({ s, role: s.role as string })), { s: undefined, role: 'no-token' }].flatMap(({ s, role }) =>
      (['own', 'other'] as TenantSide[]).map((side) => ({ s, role, side })),
    );

    it.each(streamMatrix.map((c) => [`${c.role} streams into its ${c.side} tenant`, c] as const))('StreamMeeting %s', async (_n, { s, role, side }) => {
      const tenant = s ? targetTenant(s, side) : side === 'own' ? TA : TB;
      const meetingId = `stream-${role}-${side}`;
      const metadata = new grpc.Metadata();
      if (s) metadata.set('authorization', `Bearer ${tokens.get(s.role)}`);
      const call = client.streamMeeting(metadata);
      const outcome = await new Promise<string>((resolve) => {
        call.on('data', (r: StreamMeetingResponse) => {
          if (r.message?.$case !== 'accepted') return;
          resolve('accepted');
          call.cancel();
        });
        call.on('error', (err: grpc.ServiceError) => resolve(grpc.status[err.code] ?? String(err.code)));
        call.write({
          message: {
            $case: 'start',
            start: {
              tenantId: tenant,
              meetingId,
              title: 'matrix',
              participants: [{ id: 'p1', speakerLabel: 'P' }],
              audioFormat: { encoding: AudioEncoding.AUDIO_ENCODING_PCM16LE, sampleRateHz: 16000, channels: 1 },
              recordingConsent: true,
            },
          },
        });
      });
      if (outcome === 'accepted') accepted.add(`${tenant}/${meetingId}`);
      rpcCases += 1;
      // meeting:stream: members, admins and owners in their own tenant; nobody else, staff grants never cover it.
      const streams = s !== undefined && s.home === tenant && ['owner', 'admin', 'member-own', 'member-others', 'admin-other-tenant'].includes(s.role);
      expect(outcome).toBe(s === undefined ? 'UNAUTHENTICATED' : streams ? 'accepted' : 'PERMISSION_DENIED');
    });

    it('published MeetingStarted for exactly the accepted streams', async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect([...started].sort()).toEqual([...accepted].sort());
      expect(accepted.size).toBeGreaterThan(0);
    });
  });

  it('covered at least 300 cases', () => {
    expect(httpCases).toBe(httpMatrix.length);
    expect(rpcCases).toBe(rpcMatrix.length + 2 * (SUBJECTS.length + 1));
    expect(httpCases + rpcCases).toBeGreaterThanOrEqual(300);
  });
});
