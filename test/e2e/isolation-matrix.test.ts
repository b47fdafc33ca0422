import request from 'supertest';
import { AlertSeverity, MeetingStatus, type Meeting } from '@confide/contracts';
import { createGatewayApp } from '@confide/gateway-service';
import {
  buildPolicyInput,
  createLogger,
  DevIssuer,
  InMemoryGrantStore,
  OidcVerifier,
  PolicyEvaluator,
  rpcAction,
  type DecisionAuditor,
  type MintOptions,
  type PolicySubject,
} from '@confide/platform';
import { FakeLifecycle, FakeStorage } from '../../services/gateway/test/support/fakes';

/**
 * Promise 7 as a matrix: every gateway route x every kind of subject x {own tenant, other
 * tenant} x {no header, X-Confide-Tenant naming the target tenant}, on the real gateway app
 * (createGatewayApp) with the real PolicyEvaluator (policies/dist/policy.wasm) and tokens
 * from a real DevIssuer verified over its JWKS. Storage and lifecycle are fakes holding the
 * meetings of two tenants (storage is not the subject here; its RLS has its own tests).
 * Then every service RPC action x every service identity through the evaluator.
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

type Route = 'list' | 'meeting' | 'transcript' | 'alerts' | 'report' | 'delete';
const ROUTES: Route[] = ['list', 'meeting', 'transcript', 'alerts', 'report', 'delete'];
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

/** The expected status, from policies/README.md's table and the gateway's rules. */
function expected(s: SubjectSpec, route: Route, tenant: string, header: boolean): number {
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
  'confide.ingest.v1.IngestService/StreamMeeting',
  'confide.insights.v1.InsightsService/ListAlertRules',
  'confide.transcription.v1.TranscriptionService/DescribeEngine',
];
/** policies/README.md, "Services". */
const RPC_ALLOWED: Record<string, string[]> = {
  gateway: RPCS.filter((r) => /StorageService\/(ListMeetings|GetMeeting|GetTranscript|ListAlerts|GetReport)$|LifecycleService\/DeleteMeeting$/.test(r)),
  lifecycle: ['confide.storage.v1.StorageService/PurgeMeeting'],
};

describe('isolation matrix', () => {
  let issuer: DevIssuer;
  let evaluator: PolicyEvaluator;
  let app: ReturnType<typeof createGatewayApp>;
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
    app = createGatewayApp({
      storage,
      lifecycle: new FakeLifecycle(),
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
      const path = route === 'list' ? '/api/meetings' : route === 'meeting' || route === 'delete' ? `/api/meetings/${meetingId}` : `/api/meetings/${meetingId}/${route}`;
      let req = route === 'delete' ? request(app).delete(path) : request(app).get(path);
      req = req.set('Authorization', `Bearer ${tokens.get(s.role)}`);
      if (header) req = req.set('X-Confide-Tenant', tenant);
      const res = await req;
      httpCases += 1;
      expect(res.status).toBe(expected(s, route, tenant, header));
      if (res.status >= 400) expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message', 'requestId']);
      if (res.status === 403) expect(res.body.error).toMatchObject({ code: 'forbidden', message: 'the request is not permitted' });
      // Zero cross-tenant reads: nothing of a tenant the subject is not entitled to.
      for (const t of [TA, TB].filter((x) => !entitledTenants(s).includes(x))) expect(res.text).not.toContain(`SECRET-${t}-`);
      if (res.status === 200 && route !== 'delete') expect(res.text).toContain(`SECRET-${route === 'list' ? (s.role === 'staff-grant' ? TA : s.home) : tenant}-`);
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

  it('covered at least 300 cases', () => {
    expect(httpCases).toBe(httpMatrix.length);
    expect(rpcCases).toBe(rpcMatrix.length);
    expect(httpCases + rpcCases).toBeGreaterThanOrEqual(300);
  });
});
