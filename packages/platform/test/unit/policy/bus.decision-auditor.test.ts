import { AuditDecision, AuditEntryRecordedEvent, AuditOutcome, Envelope } from '@confide/contracts';
import {
  BusDecisionAuditor,
  EventHeaders,
  InProcessEventBus,
  Topics,
  createLogger,
  enforceDecision,
  fromAuditEntryRecordedEvent,
  type BusMessage,
  type Decision,
  type EventBus,
  type PolicyDecider,
  type PolicyInput,
  type SubscribeOptions,
  type Subscription,
  type TopicSpec,
} from '../../../src';

const logger = createLogger({ service: 'bus-auditor-test', level: 'silent' });

/** A fake bus whose publish rejects (the broker refused or is unreachable) or never answers. */
class FakeBrokenBus implements EventBus {
  published = 0;
  constructor(private readonly mode: 'reject' | 'hang') {}
  async publish(_topic: string, _messages: BusMessage[]): Promise<void> {
    this.published += 1;
    if (this.mode === 'reject') throw new Error('KafkaJSConnectionError: connect ECONNREFUSED');
    await new Promise<void>(() => undefined);
  }
  async subscribe(_options: SubscribeOptions): Promise<Subscription> {
    return { close: async () => undefined };
  }
  async ensureTopics(_topics: TopicSpec[]): Promise<void> {}
  async close(): Promise<void> {}
}

/** A fake decider: allows with the `audit` obligation, as the policy does for transcript reads. */
const fakeAllowAudited: PolicyDecider = {
  evaluate: (): Decision => ({ allow: true, reasons: ['tenant-member-read'], obligations: ['audit'] }),
};

const read: PolicyInput = {
  subject: { id: 'u-1', tenant: 't-1', roles: ['admin'], kind: 'user', mfa: true },
  action: 'transcript:read',
  resource: { tenant: 't-1', owner: '', meeting: 'm-1', kind: 'meeting' },
  context: { grants: [], reason: '', now: 1_000 },
} as unknown as PolicyInput;

describe('BusDecisionAuditor (audited decisions on confide.audit.v1, fail closed)', () => {
  it('publishes one AuditEntryRecordedEvent keyed by tenant, unsealed, with the chain fields only', async () => {
    const bus = new InProcessEventBus({ logger });
    await bus.ensureTopics([{ name: Topics.audit, partitions: 3 }]);
    const received: Array<{ key: string; value: Buffer; headers: Record<string, string> }> = [];
    const sub = await bus.subscribe({ groupId: 'test', topics: [Topics.audit], handler: async (m) => void received.push(m) });
    const auditor = new BusDecisionAuditor({ bus, logger, clock: { now: () => 42 } });

    const result = await enforceDecision(fakeAllowAudited, auditor, read);
    expect(result).toMatchObject({ allowed: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(received).toHaveLength(1);
    const message = received[0]!;
    expect(message.key).toBe('t-1');
    const envelope = Envelope.decode(message.value);
    expect(envelope).toMatchObject({ type: 'confide.lifecycle.v1.AuditEntryRecordedEvent', tenantId: 't-1', meetingId: '', keyRef: '' });
    expect(message.headers[EventHeaders.eventId]).toBe(envelope.id);
    const event = AuditEntryRecordedEvent.decode(envelope.payload);
    expect(event).toEqual({
      tenantId: 't-1',
      occurredAtUnixMs: 42,
      actor: 'u-1',
      action: 'transcript:read',
      resource: 'meeting/m-1',
      decision: AuditDecision.AUDIT_DECISION_ALLOW,
      outcome: AuditOutcome.AUDIT_OUTCOME_UNSPECIFIED,
      obligations: ['audit'],
    });
    expect(fromAuditEntryRecordedEvent(event)).toEqual({
      tenantId: 't-1',
      occurredAtMs: 42,
      actor: 'u-1',
      action: 'transcript:read',
      resource: 'meeting/m-1',
      decision: 'allow',
      outcome: '',
      obligations: ['audit'],
    });
    // No rule names, roles or grants travel: only the chain's fields.
    expect(Buffer.from(envelope.payload).toString('latin1')).not.toContain('tenant-member-read');
    await sub.close();
    await bus.close();
  });

  it('rejects when the publish fails, so enforceDecision refuses the access (audit-failed)', async () => {
    const bus = new FakeBrokenBus('reject');
    const auditor = new BusDecisionAuditor({ bus, logger });
    await expect(auditor.record({ allow: true, reasons: [], obligations: ['audit'] }, {
      subjectId: 'u-1', subjectKind: 'user', subjectTenant: 't-1', action: 'transcript:read', resourceTenant: 't-1', resourceMeeting: 'm-1', resourceKind: 'meeting', grantIds: [],
    })).rejects.toMatchObject({ kind: 'unavailable' });
    const result = await enforceDecision(fakeAllowAudited, auditor, read);
    expect(result).toMatchObject({ allowed: false, refusal: 'audit-failed' });
    expect(bus.published).toBe(2);
  });

  it('rejects when the broker does not acknowledge within the timeout', async () => {
    const auditor = new BusDecisionAuditor({ bus: new FakeBrokenBus('hang'), logger, timeoutMs: 50 });
    const started = Date.now();
    const result = await enforceDecision(fakeAllowAudited, auditor, read);
    expect(result).toMatchObject({ allowed: false, refusal: 'audit-failed' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('records operations (key destruction) with outcome and obligation audit; rejects when publish fails', async () => {
    const bus = new InProcessEventBus({ logger });
    await bus.ensureTopics([{ name: Topics.audit, partitions: 3 }]);
    const received: AuditEntryRecordedEvent[] = [];
    const sub = await bus.subscribe({
      groupId: 'test',
      topics: [Topics.audit],
      handler: async (m) => void received.push(AuditEntryRecordedEvent.decode(Envelope.decode(m.value).payload)),
    });
    await new BusDecisionAuditor({ bus, logger, clock: { now: () => 7 } }).recordOperation({
      tenantId: 't-1', actor: 'service:transcription', action: 'key:destroy', resource: 'meeting/m-1/key/audio', outcome: 'success',
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(received).toEqual([
      expect.objectContaining({ tenantId: 't-1', actor: 'service:transcription', action: 'key:destroy', resource: 'meeting/m-1/key/audio', outcome: AuditOutcome.AUDIT_OUTCOME_SUCCESS, obligations: ['audit'], occurredAtUnixMs: 7 }),
    ]);
    await sub.close();
    await bus.close();
    await expect(
      new BusDecisionAuditor({ bus: new FakeBrokenBus('reject'), logger }).recordOperation({ tenantId: 't', actor: 'a', action: 'key:destroy', resource: 'r', outcome: 'success' }),
    ).rejects.toThrow();
  });

  it('logs a decision without a tenant (no chain) and publishes nothing', async () => {
    const bus = new FakeBrokenBus('reject');
    await new BusDecisionAuditor({ bus, logger }).record({ allow: false, reasons: [], obligations: ['audit'] }, {
      subjectId: 'svc', subjectKind: 'service', subjectTenant: '', service: 'ingest', action: 'rpc:x', resourceTenant: '', resourceMeeting: '', resourceKind: '', grantIds: [],
    });
    expect(bus.published).toBe(0);
  });
});
