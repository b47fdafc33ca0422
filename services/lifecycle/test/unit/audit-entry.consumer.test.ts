import { BusDecisionAuditor, InProcessEventBus, Topics, createLogger, type IdGenerator } from '@confide/platform';
import { chainAuditEvent, type AuditEvent, type AuditEventInput } from '../../src/domain/audit-chain';
import { subscribeToAuditEntries } from '../../src/adapters/events/audit-entry.consumer';
import { RecordAuditEntry } from '../../src/use-cases/record-audit-entry.use-case';

const logger = createLogger({ service: 'test', level: 'silent' });

/** A fake chain in memory with the store's once-per-event semantics (the PostgreSQL store is tested in integration). */
class FakeOnceAuditEventStore {
  readonly chains = new Map<string, Array<AuditEvent & { source?: string }>>();
  async appendOnce(input: AuditEventInput, sourceEventId: string): Promise<{ event: AuditEvent; appended: boolean }> {
    const chain = this.chains.get(input.tenantId) ?? [];
    this.chains.set(input.tenantId, chain);
    const existing = chain.find((e) => e.source === sourceEventId);
    if (existing) return { event: existing, appended: false };
    const last = chain[chain.length - 1];
    const event = chainAuditEvent(input, last ? { seq: last.seq, hash: last.hash } : undefined);
    chain.push({ ...event, source: sourceEventId });
    return { event, appended: true };
  }
}

const decision = { allow: true, reasons: [], obligations: ['audit'] };
const read = (meeting: string) => ({
  subjectId: 'u1', subjectKind: 'user' as const, subjectTenant: 't1', action: 'transcript:read', resourceTenant: 't1', resourceMeeting: meeting, resourceKind: 'meeting', grantIds: [],
});

describe('confide.audit.v1 consumer (group lifecycle-audit): each event appended once', () => {
  it('RecordAuditEntry appends a redelivered event id only once', async () => {
    const store = new FakeOnceAuditEventStore();
    const noted: string[] = [];
    const use = new RecordAuditEntry({ store, logger, checkpointer: { noteAppended: (t) => void noted.push(t) } });
    const entry = { tenantId: 't1', occurredAtMs: 1, actor: 'u1', action: 'transcript:read', resource: 'meeting/m1', decision: 'allow' as const, outcome: '' as const, obligations: ['audit'] };
    await expect(use.execute(entry, 'ev-1')).resolves.toEqual({ appended: true, seq: 1 });
    await expect(use.execute(entry, 'ev-1')).resolves.toEqual({ appended: false, seq: 1 });
    await expect(use.execute(entry, 'ev-2')).resolves.toEqual({ appended: true, seq: 2 });
    expect(store.chains.get('t1')).toHaveLength(2);
    expect(noted).toEqual(['t1', 't1']);
  });

  it('an event published twice with the same id (a producer retry) reaches the chain once, in order per tenant', async () => {
    const bus = new InProcessEventBus({ logger });
    await bus.ensureTopics([{ name: Topics.audit, partitions: 3 }]);
    const store = new FakeOnceAuditEventStore();
    const sub = await subscribeToAuditEntries({ bus, logger, recordAuditEntry: new RecordAuditEntry({ store, logger }) });
    // The same id twice: what a redelivery or a re-publication of the same envelope looks like.
    let n = 0;
    const ids: IdGenerator = { newId: () => ['ev-a', 'ev-a', 'ev-b'][n++]! };
    const auditor = new BusDecisionAuditor({ bus, logger, ids, clock: { now: () => 5 } });
    await auditor.record(decision, read('m1'));
    await auditor.record(decision, read('m1'));
    await auditor.record(decision, read('m2'));
    for (let i = 0; i < 50 && (store.chains.get('t1')?.length ?? 0) < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 30));
    const chain = store.chains.get('t1') ?? [];
    expect(chain.map((e) => [e.seq, e.resource, e.source])).toEqual([
      [1, 'meeting/m1', 'ev-a'],
      [2, 'meeting/m2', 'ev-b'],
    ]);
    expect(chain[1]!.prevHash).toBe(chain[0]!.hash);
    await sub.close();
    await bus.close();
  });
});
