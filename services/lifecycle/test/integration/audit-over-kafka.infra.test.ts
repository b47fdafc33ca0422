import { randomUUID } from 'node:crypto';
import { BusDecisionAuditor, KafkaEventBus, SIGNING_KEY_NAME, Topics, createLogger, dlqTopic, type IdGenerator } from '@confide/platform';
import { readInfraEnv } from '@confide/testing';
import { subscribeToAuditEntries } from '../../src/adapters/events/audit-entry.consumer';
import { PostgresAuditEventStore } from '../../src/adapters/postgres/audit-event.repository';
import { verifyAuditExport } from '../../src/domain/audit-export.verifier';
import { publishedSigningKeys } from '../../src/domain/signing';
import { ExportAuditLog } from '../../src/use-cases/export-audit-log.use-case';
import { RecordAuditEntry } from '../../src/use-cases/record-audit-entry.use-case';
import { SignAuditCheckpoint } from '../../src/use-cases/sign-audit-checkpoint.use-case';
import {
  infraTestDatabase,
  openLifecycleDatabase,
  openTestKms,
  purgeTestTenants,
  testTenants,
  uniqueTenant,
  type LifecycleTestContext,
  type TestKms,
} from './support/lifecycle-db';

/**
 * confide.audit.v1 end to end on the real broker and the infra PostgreSQL (`pnpm infra:up`; fails,
 * never skips, without them): the gateway's / storage's `BusDecisionAuditor` publishes, lifecycle's
 * consumer appends to the tenant's chain once per event id, and the exported chain verifies
 * offline. The consumer runs in a run-unique group (a lifecycle service of another test on the same
 * broker may consume the same events: the unique event id keeps that idempotent too).
 */
jest.setTimeout(90_000);

const logger = createLogger({ service: 'audit-over-kafka-test', level: 'silent' });

describe('audit entries over confide.audit.v1 into the chain (real Kafka + PostgreSQL)', () => {
  let ctx: LifecycleTestContext;
  let keys: TestKms;
  let bus: KafkaEventBus;

  beforeAll(async () => {
    const brokers = (process.env.KAFKA_BROKERS ?? readInfraEnv().KAFKA_BROKERS ?? '').split(',').filter(Boolean);
    if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set and .state/infra/env does not name it: run `pnpm infra:up`');
    ctx = await openLifecycleDatabase(await infraTestDatabase());
    keys = await openTestKms();
    bus = new KafkaEventBus({
      brokers,
      clientId: `audit-it-${randomUUID().slice(0, 8)}`,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 250,
    });
    await bus.ensureTopics([
      { name: Topics.audit, partitions: 3 },
      { name: dlqTopic(Topics.audit), partitions: 1 },
    ]);
  });

  afterAll(async () => {
    await bus?.close();
    if (ctx) await purgeTestTenants(ctx.urls.migrationUrl, testTenants);
    await ctx?.dispose();
    await keys?.dispose();
  });

  it('appends an entry published twice (same event id) once, in publish order, and the exported chain verifies', async () => {
    const tenant = uniqueTenant('bus-audit');
    const store = new PostgresAuditEventStore(ctx.app);
    const subscription = await subscribeToAuditEntries({
      bus,
      logger,
      recordAuditEntry: new RecordAuditEntry({ store, logger }),
      options: { groupId: `lifecycle-audit-it-${randomUUID()}` },
    });
    try {
      const eventIds = [`ev-${randomUUID()}`, `ev-${randomUUID()}`, `ev-${randomUUID()}`];
      // Event ids: the first twice (a re-publication of the same envelope), then two more.
      const order = [eventIds[0]!, eventIds[0]!, eventIds[1]!, eventIds[2]!];
      let n = 0;
      const ids: IdGenerator = { newId: () => order[n++]! };
      const auditor = new BusDecisionAuditor({ bus, logger, ids });
      const read = { subjectId: 'u-reader', subjectKind: 'user' as const, subjectTenant: tenant, action: 'transcript:read', resourceTenant: tenant, resourceMeeting: 'm-1', resourceKind: 'meeting', grantIds: [] };
      await auditor.record({ allow: true, reasons: ['member-read'], obligations: ['audit'] }, read);
      await auditor.record({ allow: true, reasons: ['member-read'], obligations: ['audit'] }, read);
      await auditor.record({ allow: false, reasons: ['cross-tenant'], obligations: ['audit'] }, { ...read, subjectId: 'u-other', action: 'report:read' });
      await auditor.recordOperation({ tenantId: tenant, actor: 'service:transcription', action: 'key:destroy', resource: 'meeting/m-1/key/audio', outcome: 'success' });

      const deadline = Date.now() + 60_000;
      let events = await store.eventsAfter(tenant, 0, 100);
      while (events.length < 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        events = await store.eventsAfter(tenant, 0, 100);
      }
      // Give a duplicate append time to show up, should there be one.
      await new Promise((r) => setTimeout(r, 1_500));
      events = await store.eventsAfter(tenant, 0, 100);
      expect(events.map((e) => [e.seq, e.actor, e.action, e.resource, e.decision, e.outcome, e.obligations])).toEqual([
        [1, 'u-reader', 'transcript:read', 'meeting/m-1', 'allow', '', ['audit']],
        [2, 'u-other', 'report:read', 'meeting/m-1', 'deny', '', ['audit']],
        [3, 'service:transcription', 'key:destroy', 'meeting/m-1/key/audio', 'allow', 'success', ['audit']],
      ]);
      const sources = await ctx.asOwner<{ source_event_id: string }>(tenant, 'SELECT source_event_id FROM audit_events WHERE tenant_id = $1 ORDER BY seq', [tenant]);
      expect(sources.map((r) => r.source_event_id)).toEqual(eventIds);

      // The same event once more, straight into the store: still nothing appended.
      await expect(store.appendOnce({ ...events[0]!, occurredAtMs: events[0]!.occurredAtMs }, eventIds[0]!)).resolves.toMatchObject({ appended: false, event: { seq: 1 } });

      // Signed and exported, the chain verifies offline with the published keys only.
      await new SignAuditCheckpoint({ store, kms: keys.kms, signingKeyName: SIGNING_KEY_NAME, clock: { now: () => Date.now() } }).execute(tenant);
      const exported = await new ExportAuditLog({ store, clock: { now: () => Date.now() }, signingKeyName: SIGNING_KEY_NAME }).text(tenant);
      const published = publishedSigningKeys(SIGNING_KEY_NAME, await keys.kms.publicKeys(SIGNING_KEY_NAME));
      expect(verifyAuditExport(exported, published)).toMatchObject({ ok: true, events: 3, checkpointedThroughSeq: 3, unsignedTail: 0 });
      // Ids only: no rule names travel into the chain.
      expect(exported).not.toContain('member-read');
    } finally {
      await subscription.close();
    }
  });
});
