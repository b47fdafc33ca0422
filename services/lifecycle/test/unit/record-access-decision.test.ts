import { createLogger } from '@confide/platform';
import type { AuditEvent, AuditEventInput } from '../../src/domain/audit-chain';
import type { AuditEventStore } from '../../src/ports/audit-event-store.port';
import { RecordAccessDecision } from '../../src/use-cases/record-access-decision.use-case';

const logger = createLogger({ service: 'test', level: 'silent' });
const summary = {
  subjectId: 'u1',
  subjectKind: 'user' as const,
  subjectTenant: 't1',
  action: 'transcript:read',
  resourceTenant: 't1',
  resourceMeeting: 'm1',
  resourceKind: 'meeting',
  grantIds: [],
};

/** Records appends; it chains nothing (the PostgreSQL store is tested in integration). */
class FakeAuditEventStore {
  readonly appended: AuditEventInput[] = [];
  failWith: Error | undefined;
  async append(input: AuditEventInput): Promise<AuditEvent> {
    if (this.failWith) throw this.failWith;
    this.appended.push(input);
    return { ...input, seq: this.appended.length, prevHash: '0'.repeat(64), hash: 'h' };
  }
}

describe('RecordAccessDecision (DecisionAuditor over the chained audit log)', () => {
  it('appends the decision to the resource tenant\'s chain: ids, allow/deny, obligations, no outcome', async () => {
    const store = new FakeAuditEventStore();
    const noted: string[] = [];
    const auditor = new RecordAccessDecision({
      store: store as unknown as AuditEventStore,
      clock: { now: () => 42 },
      logger,
      checkpointer: { noteAppended: (t) => void noted.push(t) },
    });
    await auditor.record({ allow: false, reasons: ['owner-only'], obligations: ['audit'] }, summary);
    await auditor.record({ allow: true, reasons: ['staff-grant:g1'], obligations: ['staff-access', 'audit'] }, { ...summary, subjectId: 's1', subjectKind: 'staff', subjectTenant: '', resourceMeeting: '', resourceKind: 'tenant' });
    expect(store.appended).toEqual([
      { tenantId: 't1', occurredAtMs: 42, actor: 'u1', action: 'transcript:read', resource: 'meeting/m1', decision: 'deny', outcome: '', obligations: ['audit'] },
      { tenantId: 't1', occurredAtMs: 42, actor: 's1', action: 'transcript:read', resource: 'tenant/t1', decision: 'allow', outcome: '', obligations: ['audit', 'staff-access'] },
    ]);
    expect(noted).toEqual(['t1', 't1']);
  });

  it('names a service by its identity and logs (does not append) a decision without any tenant', async () => {
    const store = new FakeAuditEventStore();
    const auditor = new RecordAccessDecision({ store: store as unknown as AuditEventStore, clock: { now: () => 1 }, logger });
    await auditor.record({ allow: false, reasons: ['service-rpc-not-permitted'], obligations: ['audit'] }, {
      ...summary, subjectId: 'svc', subjectKind: 'service', service: 'ingest', subjectTenant: '', resourceTenant: '', resourceMeeting: '', action: 'rpc:x',
    });
    expect(store.appended).toEqual([]);
    await auditor.record({ allow: true, reasons: [], obligations: ['audit'] }, { ...summary, subjectKind: 'service', service: 'gateway' });
    expect(store.appended[0]?.actor).toBe('service:gateway');
  });

  it('rejects when the append fails, so the caller refuses the access', async () => {
    const store = new FakeAuditEventStore();
    store.failWith = new Error('db down');
    const auditor = new RecordAccessDecision({ store: store as unknown as AuditEventStore, clock: { now: () => 1 }, logger });
    await expect(auditor.record({ allow: true, reasons: [], obligations: ['audit'] }, summary)).rejects.toThrow('db down');
  });
});
