import {
  AccessGrantScope,
  AccessGrantStatus,
  type AccessGrant,
  type Alert,
  AuditDecision,
  AuditOutcome,
  RetentionAction,
  type AuditEventEntry,
  type DeleteMeetingResponse,
  type DeletionCertificate,
  type EraseTenantResponse,
  type EraseUserDataResponse,
  type GetSigningKeysResponse,
  type ListAuditEventsResponse,
  type RestoreArchivedMeetingResponse,
  type RetentionPolicy,
  type Report,
  type TranscriptSegment,
} from '@confide/contracts';
import { notFound, type Decision, type DecisionAuditor, type DecisionInputSummary } from '@confide/platform';
import type {
  DeleteMeetingCommand,
  EraseTenantCommand,
  EraseUserDataCommand,
  LifecyclePort,
  RestoreMeetingCommand,
} from '../../src/ports/lifecycle.port';
import type { GrantRef, GrantRequestCommand, LifecycleRecordsPort } from '../../src/ports/lifecycle-records.port';
import type { CallContext, MeetingPage, MeetingRef, OwnedMeeting, StoragePort } from '../../src/ports/storage.port';
import type { ProcessingPort, TenantProcessing } from '../../src/ports/processing.port';
import type { TenantKeysPort, TenantKeyStatus } from '../../src/ports/tenant-keys.port';

interface StoredMeeting {
  meeting: OwnedMeeting;
  segments: TranscriptSegment[];
  alerts: Alert[];
  report?: Report;
}

/** In-memory StoragePort keyed by tenant and meeting; records every call's tenant and context. */
export class FakeStorage implements StoragePort {
  readonly calls: Array<{ method: string; tenantId: string; meetingId?: string; ctx: CallContext; pageSize?: number; pageToken?: string }> = [];
  /** When set, every call rejects with it. */
  failWith: unknown;
  isReady = true;
  private readonly meetings = new Map<string, StoredMeeting>();

  add(stored: StoredMeeting): this {
    this.meetings.set(`${stored.meeting.tenantId}/${stored.meeting.meetingId}`, stored);
    return this;
  }

  async listMeetings(query: { tenantId: string; pageSize: number; pageToken: string }, ctx: CallContext): Promise<MeetingPage> {
    this.record('listMeetings', query, ctx);
    const meetings = [...this.meetings.values()].filter((m) => m.meeting.tenantId === query.tenantId).map((m) => m.meeting);
    return { meetings: meetings.slice(0, query.pageSize), nextPageToken: meetings.length > query.pageSize ? 'next' : '' };
  }

  async getMeeting(ref: MeetingRef, ctx: CallContext): Promise<OwnedMeeting> {
    return this.find('getMeeting', ref, ctx).meeting;
  }

  async getTranscript(ref: MeetingRef, ctx: CallContext): Promise<TranscriptSegment[]> {
    return this.find('getTranscript', ref, ctx).segments;
  }

  async listAlerts(ref: MeetingRef, ctx: CallContext): Promise<Alert[]> {
    return this.find('listAlerts', ref, ctx).alerts;
  }

  async getReport(ref: MeetingRef, ctx: CallContext): Promise<Report> {
    const report = this.find('getReport', ref, ctx).report;
    if (!report) throw notFound(`report of meeting ${ref.meetingId} not found`);
    return report;
  }

  async ready(): Promise<boolean> {
    return this.isReady;
  }

  private record(method: string, ref: { tenantId: string; meetingId?: string; pageSize?: number; pageToken?: string }, ctx: CallContext): void {
    this.calls.push({ method, ...ref, ctx });
    if (this.failWith !== undefined) throw this.failWith;
  }

  private find(method: string, ref: MeetingRef, ctx: CallContext): StoredMeeting {
    this.record(method, ref, ctx);
    const stored = this.meetings.get(`${ref.tenantId}/${ref.meetingId}`);
    if (!stored) throw notFound(`meeting ${ref.meetingId} not found`);
    return stored;
  }
}

/** LifecyclePort that records erasure requests. */
export class FakeLifecycle implements LifecyclePort {
  readonly deletions: Array<{ command: DeleteMeetingCommand; ctx: CallContext }> = [];
  readonly calls: Array<{ method: string; command: unknown; ctx: CallContext }> = [];
  failWith: unknown;
  isReady = true;
  /** EraseTenant's answer: purge finished (200 + certificate) or still running (202). */
  tenantPurgeCompleted = true;
  retention: RetentionPolicy = { tenantId: '', days: 90, action: RetentionAction.RETENTION_ACTION_DELETE, isDefault: true, updatedAtUnixMs: 0, updatedBy: '' };
  readonly certificateDocument = '{"certificate_id":"c-1","signature":"ed25519:v1:AAAA","type":"confide.deletion-certificate"}';

  private note(method: string, command: unknown, ctx: CallContext): void {
    this.calls.push({ method, command, ctx });
    if (this.failWith !== undefined) throw this.failWith;
  }

  async eraseTenant(command: EraseTenantCommand, ctx: CallContext): Promise<EraseTenantResponse> {
    this.note('eraseTenant', command, ctx);
    const done = this.tenantPurgeCompleted;
    return {
      tenantId: command.tenantId,
      erasureId: 'c-1',
      cryptoErasedAtUnixMs: Date.UTC(2026, 0, 1),
      purgeCompleted: done,
      purgedAtUnixMs: done ? Date.UTC(2026, 0, 1, 0, 0, 1) : 0,
      erased: done ? { meetings: 2, segments: 30, alerts: 3, reports: 2 } : undefined,
      dataKeys: done ? 2 : 0,
      certificate: done ? { certificateId: 'c-1', document: this.certificateDocument } : undefined,
    };
  }

  async eraseUserData(command: EraseUserDataCommand, ctx: CallContext): Promise<EraseUserDataResponse> {
    this.note('eraseUserData', command, ctx);
    return {
      userId: command.userId,
      meetingsAffected: 1,
      segments: 4,
      alerts: 1,
      purgedAtUnixMs: Date.UTC(2026, 0, 1),
      certificate: { certificateId: 'c-1', document: this.certificateDocument },
    };
  }

  async restoreMeeting(command: RestoreMeetingCommand, ctx: CallContext): Promise<RestoreArchivedMeetingResponse> {
    this.note('restoreMeeting', command, ctx);
    return { meetingId: command.meetingId, restoredAtUnixMs: Date.UTC(2026, 0, 1) };
  }

  async getRetentionPolicy(tenantId: string, ctx: CallContext): Promise<RetentionPolicy> {
    this.note('getRetentionPolicy', { tenantId }, ctx);
    return { ...this.retention, tenantId };
  }

  async setRetentionPolicy(command: { tenantId: string; days: number; action: 'archive' | 'delete' }, ctx: CallContext): Promise<RetentionPolicy> {
    this.note('setRetentionPolicy', command, ctx);
    this.retention = {
      tenantId: command.tenantId,
      days: command.days,
      action: command.action === 'archive' ? RetentionAction.RETENTION_ACTION_ARCHIVE : RetentionAction.RETENTION_ACTION_DELETE,
      isDefault: false,
      updatedAtUnixMs: Date.UTC(2026, 0, 1),
      updatedBy: 'u-admin',
    };
    return this.retention;
  }

  constructor(private readonly erasedAtUnixMs = Date.UTC(2025, 0, 2, 3, 4, 5)) {}

  async deleteMeeting(command: DeleteMeetingCommand, ctx: CallContext): Promise<DeleteMeetingResponse> {
    this.deletions.push({ command, ctx });
    if (this.failWith !== undefined) throw this.failWith;
    return { meetingId: command.meetingId, erased: { meetings: 1, segments: 12, alerts: 2, reports: 1 }, erasedAtUnixMs: this.erasedAtUnixMs };
  }

  async ready(): Promise<boolean> {
    return this.isReady;
  }
}

/**
 * In-memory LifecycleRecordsPort: grants, certificates and an audit export held here; records
 * every call with its tenant and context. It decides nothing (lifecycle's own checks are
 * tested in services/lifecycle): the gateway's authorization is what the tests look at.
 */
export class FakeLifecycleRecords implements LifecycleRecordsPort {
  readonly calls: Array<{ method: string; tenantId: string; ctx: CallContext; args?: Record<string, unknown> }> = [];
  readonly grants: AccessGrant[] = [];
  readonly certificates: DeletionCertificate[] = [];
  auditLines: string[] = [];
  /** Per-tenant exports; a tenant not in it gets `auditLines`. */
  readonly auditLinesByTenant = new Map<string, string[]>();
  /** When set, every call rejects with it. */
  failWith: unknown;
  /** When set, the export fails after its first chunk. */
  failExportAfterFirstChunk: unknown;
  private nextId = 1;

  private record(method: string, tenantId: string, ctx: CallContext, args?: Record<string, unknown>): void {
    this.calls.push({ method, tenantId, ctx, ...(args ? { args } : {}) });
    if (this.failWith !== undefined) throw this.failWith;
  }

  private find(ref: GrantRef): AccessGrant {
    const grant = this.grants.find((g) => g.tenantId === ref.tenantId && g.grantId === ref.grantId);
    if (!grant) throw notFound('grant not found');
    return grant;
  }

  async requestGrant(command: GrantRequestCommand, ctx: CallContext): Promise<AccessGrant> {
    this.record('requestGrant', command.tenantId, ctx, { ...command });
    const grant: AccessGrant = {
      grantId: `g-${this.nextId++}`,
      tenantId: command.tenantId,
      staffId: 'from-assertion',
      reason: command.reason,
      scope: command.scope === 'meeting' ? AccessGrantScope.ACCESS_GRANT_SCOPE_MEETING : AccessGrantScope.ACCESS_GRANT_SCOPE_TENANT,
      meetingId: command.meetingId,
      requestedAtUnixMs: 1_700_000_000_000,
      requestedDurationMs: command.durationMs || 86_400_000,
      approvedBy: '',
      approvedAtUnixMs: 0,
      deniedBy: '',
      deniedAtUnixMs: 0,
      revokedBy: '',
      revokedAtUnixMs: 0,
      expiresAtUnixMs: 0,
      status: AccessGrantStatus.ACCESS_GRANT_STATUS_PENDING,
    };
    this.grants.push(grant);
    return grant;
  }

  async approveGrant(ref: GrantRef & { durationMs: number }, ctx: CallContext): Promise<AccessGrant> {
    this.record('approveGrant', ref.tenantId, ctx, { ...ref });
    const grant = this.find(ref);
    Object.assign(grant, { approvedBy: 'admin', approvedAtUnixMs: 1_700_000_001_000, expiresAtUnixMs: 1_700_003_601_000, status: AccessGrantStatus.ACCESS_GRANT_STATUS_APPROVED });
    return grant;
  }

  async denyGrant(ref: GrantRef, ctx: CallContext): Promise<AccessGrant> {
    this.record('denyGrant', ref.tenantId, ctx, { ...ref });
    const grant = this.find(ref);
    Object.assign(grant, { deniedBy: 'admin', deniedAtUnixMs: 1_700_000_001_000, status: AccessGrantStatus.ACCESS_GRANT_STATUS_DENIED });
    return grant;
  }

  async revokeGrant(ref: GrantRef, ctx: CallContext): Promise<AccessGrant> {
    this.record('revokeGrant', ref.tenantId, ctx, { ...ref });
    const grant = this.find(ref);
    Object.assign(grant, { revokedBy: 'admin', revokedAtUnixMs: 1_700_000_002_000, status: AccessGrantStatus.ACCESS_GRANT_STATUS_REVOKED });
    return grant;
  }

  async listGrants(query: { tenantId: string; staffId: string }, ctx: CallContext): Promise<AccessGrant[]> {
    this.record('listGrants', query.tenantId, ctx, { ...query });
    return this.grants.filter((g) => g.tenantId === query.tenantId && (!query.staffId || g.staffId === query.staffId));
  }

  async *exportAuditLog(tenantId: string, ctx: CallContext): AsyncIterable<string[]> {
    this.record('exportAuditLog', tenantId, ctx);
    const lines = this.auditLinesByTenant.get(tenantId) ?? this.auditLines;
    const half = Math.ceil(lines.length / 2);
    yield lines.slice(0, half);
    if (this.failExportAfterFirstChunk !== undefined) throw this.failExportAfterFirstChunk;
    yield lines.slice(half);
  }

  async getCertificate(query: { tenantId: string; certificateId: string }, ctx: CallContext): Promise<DeletionCertificate> {
    this.record('getCertificate', query.tenantId, ctx, { ...query });
    const found = this.certificates.find((c) => c.tenantId === query.tenantId && c.certificateId === query.certificateId);
    if (!found) throw notFound('certificate not found');
    return found;
  }

  async listCertificates(query: { tenantId: string; meetingId: string }, ctx: CallContext): Promise<DeletionCertificate[]> {
    this.record('listCertificates', query.tenantId, ctx, { ...query });
    return this.certificates.filter((c) => c.tenantId === query.tenantId && c.meetingId === query.meetingId);
  }

  /** Entries served by listAuditEvents. */
  auditEntries: AuditEventEntry[] = [1, 2, 3].map((seq) => ({
    seq,
    occurredAtUnixMs: Date.UTC(2026, 0, 1, 0, 0, seq),
    actor: 'u-admin',
    action: 'transcript:read',
    resource: 'meeting/m1',
    decision: AuditDecision.AUDIT_DECISION_ALLOW,
    outcome: AuditOutcome.AUDIT_OUTCOME_UNSPECIFIED,
    obligations: ['audit'],
    prevHash: String(seq - 1).repeat(64),
    hash: String(seq).repeat(64),
  }));

  /** Per-tenant entries; a tenant not in it gets `auditEntries`. */
  readonly auditEntriesByTenant = new Map<string, AuditEventEntry[]>();

  async listAuditEvents(query: { tenantId: string; afterSeq: number; pageSize: number }, ctx: CallContext): Promise<ListAuditEventsResponse> {
    this.record('listAuditEvents', query.tenantId, ctx, { ...query });
    const rest = (this.auditEntriesByTenant.get(query.tenantId) ?? this.auditEntries).filter((e) => e.seq > query.afterSeq);
    const page = rest.slice(0, query.pageSize);
    return { events: page, nextAfterSeq: rest.length > page.length ? (page[page.length - 1]?.seq ?? 0) : 0 };
  }

  async signingKeys(ctx: CallContext): Promise<GetSigningKeysResponse> {
    this.record('signingKeys', '', ctx);
    return {
      keyName: 'confide-signing',
      algorithm: 'ed25519',
      keys: [{ version: 1, publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n', publicKeyBase64: 'AAAA', createdAt: '2026-01-01T00:00:00.000Z' }],
    };
  }
}

/** TenantKeysPort: records calls; `failWith` makes every call reject. */
export class FakeTenantKeys implements TenantKeysPort {
  readonly calls: Array<{ method: string; tenantId: string; ctx: CallContext }> = [];
  failWith: Error | undefined;
  async rotate(tenantId: string, ctx: CallContext): Promise<{ rewrapStarted: boolean }> {
    this.calls.push({ method: 'rotate', tenantId, ctx });
    if (this.failWith) throw this.failWith;
    return { rewrapStarted: true };
  }
  async status(tenantId: string, ctx: CallContext): Promise<TenantKeyStatus> {
    this.calls.push({ method: 'status', tenantId, ctx });
    if (this.failWith) throw this.failWith;
    return { versions: [{ keyVersion: 1, dataKeys: 3 }, { keyVersion: 2, dataKeys: 5 }], rewrapRunning: true };
  }
}

/** ProcessingPort in memory: records each call; the answer names the tenant asked for. */
export class FakeProcessing implements ProcessingPort {
  readonly calls: Array<{ tenantId: string; ctx: CallContext }> = [];
  failWith: Error | undefined;
  async describe(tenantId: string, ctx: CallContext): Promise<TenantProcessing> {
    this.calls.push({ tenantId, ctx });
    if (this.failWith) throw this.failWith;
    return {
      transcription: { engine: 'pocketsphinx', language: 'en-US', destination: 'local' },
      insights: { reportEngine: 'extractive-v1', alertRules: [{ ruleId: `rule-of-${tenantId}`, description: 'Payment card number shared', kind: 'pii' }] },
    };
  }
}

/** DecisionAuditor in memory: records every audited decision; `failing` makes it refuse like an unwritable audit log. */
export class FakeAuditor implements DecisionAuditor {
  readonly records: Array<{ decision: Decision; input: DecisionInputSummary }> = [];
  failing = false;
  async record(decision: Decision, input: DecisionInputSummary): Promise<void> {
    if (this.failing) throw new Error('audit log not writable');
    this.records.push({ decision, input });
  }
}
