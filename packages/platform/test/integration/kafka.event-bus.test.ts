import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { EventHeaders, KafkaEventBus, dlqTopic, type KafkaEventBusOptions, type ReceivedMessage } from '../../src';
import { describeEventBusContract } from '../support/event-bus.contract';
import { requireKafka } from '../support/kafka';

/**
 * KafkaEventBus against the real broker (KAFKA_BROKERS or .state/infra/env). Fails, never
 * skips, when no broker answers. Topics are unique per test and deleted afterwards.
 */
jest.setTimeout(60_000); // group joins and rebalances on a real broker

const runId = randomUUID().slice(0, 8);
let brokers: string[] = [];
let admin: Admin | undefined;
let seq = 0;

/** Group timings for a single-node test broker: rebalances settle within a second or two. */
const testOptions = (): KafkaEventBusOptions => ({
  brokers,
  clientId: `confide-test-${runId}`,
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 10_000,
  heartbeatIntervalMs: 500,
  maxWaitTimeMs: 250,
});

const created = new Set<string>();
const topicName = (base: string): string => {
  const name = `confide-test.${runId}.${(seq += 1)}.${base}`;
  created.add(name);
  created.add(dlqTopic(name));
  return name;
};

async function deleteCreatedTopics(): Promise<void> {
  if (!admin || created.size === 0) return;
  const existing = new Set(await admin.listTopics());
  const doomed = [...created].filter((t) => existing.has(t));
  created.clear();
  if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 10_000 }).catch(() => undefined);
}

beforeAll(async () => {
  brokers = await requireKafka();
  admin = new Kafka({ clientId: `confide-test-admin-${runId}`, brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
});

afterAll(async () => {
  await deleteCreatedTopics().catch(() => undefined);
  await admin?.disconnect();
});

describeEventBusContract(
  'KafkaEventBus',
  async () => {
    const bus = new KafkaEventBus(testOptions());
    return {
      bus,
      topic: topicName,
      cleanup: async () => {
        await bus.close();
        await deleteCreatedTopics();
      },
    };
  },
  { waitTimeoutMs: 30_000 },
);

describe('KafkaEventBus specifics', () => {
  let bus: KafkaEventBus;
  let release: Array<() => void>;

  beforeEach(() => {
    bus = new KafkaEventBus(testOptions());
    release = [];
  });

  afterEach(async () => {
    for (const r of release) r();
    await bus.close();
    await deleteCreatedTopics();
  });

  const waitFor = async (what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('ensureTopics creates partitions and retention.ms, and is idempotent', async () => {
    const name = topicName('provision');
    await bus.ensureTopics([{ name, partitions: 3, retentionMs: 3_600_000 }]);
    await bus.ensureTopics([{ name, partitions: 3, retentionMs: 3_600_000 }, { name: dlqTopic(name), partitions: 1 }]);
    const meta = await (admin as Admin).fetchTopicMetadata({ topics: [name, dlqTopic(name)] });
    expect(meta.topics.find((t) => t.name === name)?.partitions).toHaveLength(3);
    expect(meta.topics.find((t) => t.name === dlqTopic(name))?.partitions).toHaveLength(1);
    const configs = await (admin as Admin).describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] }],
    });
    expect(configs.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe('3600000');
  });

  it('close() returns promptly while a handler is pending and does not commit its message', async () => {
    const name = topicName('prompt-close');
    await bus.ensureTopics([{ name, partitions: 1 }]);
    const groupId = `prompt-close-${randomUUID().slice(0, 8)}`;
    const first: string[] = [];
    const sub = await bus.subscribe({
      groupId,
      topics: [name],
      handler: (m) => {
        first.push(m.value.toString());
        return new Promise<void>((resolve) => release.push(resolve));
      },
    });
    await bus.publish(name, [{ key: 'k', value: Buffer.from('pending') }]);
    await waitFor('the pending message', () => first.length === 1);
    const started = Date.now();
    await sub.close();
    expect(Date.now() - started).toBeLessThan(5000);
    for (const r of release) r(); // the handler finishes after close: still no commit
    const second: string[] = [];
    await bus.subscribe({ groupId, topics: [name], handler: async (m) => void second.push(m.value.toString()) });
    await waitFor('redelivery', () => second.length === 1);
    expect(second).toEqual(['pending']);
  });

  it('labels a DLQ copy with the group, source partition and offset', async () => {
    const name = topicName('dlq-source');
    await bus.ensureTopics([{ name, partitions: 2 }, { name: dlqTopic(name), partitions: 1 }]);
    const groupId = `dlq-source-${randomUUID().slice(0, 8)}`;
    const failed: ReceivedMessage[] = [];
    const dead: ReceivedMessage[] = [];
    await bus.subscribe({ groupId: `${groupId}-reader`, topics: [dlqTopic(name)], handler: async (m) => void dead.push(m) });
    await bus.subscribe({
      groupId,
      topics: [name],
      maxAttempts: 2,
      retryBackoffMs: 1,
      handler: async (m) => {
        failed.push(m);
        throw new TypeError('bad shape');
      },
    });
    await bus.publish(name, [{ key: 'poison-key', value: Buffer.from('x'), headers: { [EventHeaders.eventId]: 'evt-9' } }]);
    await waitFor('the DLQ copy', () => dead.length === 1);
    const [source] = failed as [ReceivedMessage];
    const [copy] = dead as [ReceivedMessage];
    expect(copy.headers).toMatchObject({
      [EventHeaders.eventId]: 'evt-9',
      [EventHeaders.dlqError]: 'TypeError: bad shape',
      [EventHeaders.dlqSourceTopic]: name,
      [EventHeaders.dlqAttempts]: '2',
      [EventHeaders.dlqGroupId]: groupId,
      [EventHeaders.dlqSourcePartition]: String(source.partition),
      [EventHeaders.dlqSourceOffset]: source.offset,
    });
    expect(failed.map((m) => m.attempt)).toEqual([1, 2]);
  });

  it('starts a new group at the end of the log when fromBeginning is false', async () => {
    const name = topicName('latest');
    await bus.ensureTopics([{ name, partitions: 1 }]);
    await bus.publish(name, [{ key: 'k', value: Buffer.from('old') }]);
    const got: string[] = [];
    await bus.subscribe({
      groupId: `latest-${randomUUID().slice(0, 8)}`,
      topics: [name],
      fromBeginning: false,
      handler: async (m) => void got.push(m.value.toString()),
    });
    await bus.publish(name, [{ key: 'k', value: Buffer.from('new') }]);
    await waitFor('the new message', () => got.length === 1);
    expect(got).toEqual(['new']);
  });

  it('rejects publish after close', async () => {
    await bus.close();
    await expect(bus.publish(topicName('closed'), [{ key: 'k', value: Buffer.from('x') }])).rejects.toThrow(/closed/);
  });
});
