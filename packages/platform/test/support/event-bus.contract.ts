import { randomUUID } from 'node:crypto';
import { EventHeaders, dlqTopic, type EventBus, type ReceivedMessage, type Subscription } from '../../src';

/**
 * The EventBus contract: every adapter (in-process, kafkajs) must pass it.
 *
 * Works on a shared broker: every test uses topics from `topic(base)` (the factory makes them
 * unique) and its own unique group ids. Waits poll with deadlines (no fixed sleeps); absence
 * of a message is never asserted by waiting — it is proved through ordering or through a
 * later member of the same group.
 */
export interface EventBusContractFixture {
  bus: EventBus;
  /** A topic name unique to this test run, derived from `base`. */
  topic: (base: string) => string;
  /** Releases everything (must tolerate a bus that the test already closed). */
  cleanup(): Promise<void>;
}

export interface EventBusContractOptions {
  /** Deadline of each wait for a delivery. Default 5000 ms (raise it for a real broker). */
  waitTimeoutMs?: number;
  /** Partitions of the topics the tests create. Default 4. */
  partitions?: number;
}

export function describeEventBusContract(
  adapterName: string,
  factory: () => Promise<EventBusContractFixture>,
  options: EventBusContractOptions = {},
): void {
  const waitTimeoutMs = options.waitTimeoutMs ?? 5000;
  const partitions = options.partitions ?? 4;
  const testTimeoutMs = waitTimeoutMs * 4;

  describe(`EventBus contract: ${adapterName}`, () => {
    let fx: EventBusContractFixture;
    let subscriptions: Subscription[];
    let gates: Array<() => void>;

    const group = (base: string): string => `${base}-${randomUUID().slice(0, 8)}`;

    const newTopic = async (base: string, count = partitions): Promise<string> => {
      const name = fx.topic(base);
      await fx.bus.ensureTopics([{ name, partitions: count }]);
      return name;
    };

    const withDlq = async (topic: string): Promise<void> => {
      await fx.bus.ensureTopics([{ name: dlqTopic(topic), partitions: 1 }]);
    };

    const subscribe = async (...args: Parameters<EventBus['subscribe']>): Promise<Subscription> => {
      const sub = await fx.bus.subscribe(...args);
      subscriptions.push(sub);
      return sub;
    };

    /** A promise that only the test (or cleanup) resolves: a handler "still pending". */
    const gate = (): Promise<void> =>
      new Promise<void>((resolve) => {
        gates.push(resolve);
      });

    const waitFor = async (what: string, predicate: () => boolean): Promise<void> => {
      const deadline = Date.now() + waitTimeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${waitTimeoutMs} ms waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };

    const msg = (key: string, value: string, headers?: Record<string, string>) => ({
      key,
      value: Buffer.from(value),
      ...(headers ? { headers } : {}),
    });

    const text = (m: ReceivedMessage): string => m.value.toString('utf8');

    /** Publishes warm-up messages until every member has received one (all are assigned partitions). */
    const warmUp = async (topic: string, received: ReceivedMessage[][]): Promise<void> => {
      const deadline = Date.now() + waitTimeoutMs;
      let round = 0;
      while (!received.every((r) => r.some((m) => text(m).startsWith('warm-')))) {
        if (Date.now() > deadline) throw new Error('timed out waiting for every member to be assigned partitions');
        await fx.bus.publish(
          topic,
          Array.from({ length: 16 }, (_, i) => msg(`warm-key-${round}-${i}`, `warm-${round}-${i}`)),
        );
        round += 1;
        const roundDeadline = Date.now() + Math.min(500, waitTimeoutMs);
        while (Date.now() < roundDeadline && !received.every((r) => r.some((m) => text(m).startsWith('warm-')))) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    };

    beforeEach(async () => {
      subscriptions = [];
      gates = [];
      fx = await factory();
    });

    afterEach(async () => {
      for (const release of gates) release();
      for (const sub of subscriptions) await sub.close();
      await fx.cleanup();
    });

    it(
      'delivers a published message with its key, value and headers',
      async () => {
        const topic = await newTopic('headers');
        const received: ReceivedMessage[] = [];
        await subscribe({ groupId: group('headers'), topics: [topic], handler: async (m) => void received.push(m) });
        await fx.bus.publish(topic, [msg('meeting-1', 'hello', { 'x-test': 'one', [EventHeaders.eventId]: 'evt-1' })]);
        await waitFor('the message', () => received.length === 1);
        const [m] = received as [ReceivedMessage];
        expect(m.topic).toBe(topic);
        expect(m.key).toBe('meeting-1');
        expect(text(m)).toBe('hello');
        expect(m.headers).toMatchObject({ 'x-test': 'one', [EventHeaders.eventId]: 'evt-1' });
        expect(m.attempt).toBe(1);
        expect(m.offset).toMatch(/^\d+$/);
        expect(m.partition).toBeGreaterThanOrEqual(0);
        expect(m.partition).toBeLessThan(partitions);
      },
      testTimeoutMs,
    );

    it(
      'keeps per-key order across many keys with interleaved publishes',
      async () => {
        const topic = await newTopic('order');
        const keys = Array.from({ length: 24 }, (_, i) => `key-${i}`);
        const perKey = 20;
        const seen = new Map<string, number[]>();
        let total = 0;
        await subscribe({
          groupId: group('order'),
          topics: [topic],
          handler: async (m) => {
            // Uneven handler latency must not reorder a key.
            if (Number(text(m).split(':')[1]) % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
            const list = seen.get(m.key) ?? [];
            list.push(Number(text(m).split(':')[1]));
            seen.set(m.key, list);
            total += 1;
          },
        });
        // Interleave keys inside batches and across several publish calls.
        for (let seq = 0; seq < perKey; seq += 4) {
          const batch = [];
          for (let s = seq; s < seq + 4; s += 1) for (const key of keys) batch.push(msg(key, `${key}:${s}`));
          await fx.bus.publish(topic, batch);
        }
        await waitFor('every message', () => total >= keys.length * perKey);
        const expected = Array.from({ length: perKey }, (_, i) => i);
        for (const key of keys) expect(seen.get(key)).toEqual(expected);
        expect(total).toBe(keys.length * perKey);
      },
      testTimeoutMs,
    );

    it(
      'delivers every message to each consumer group',
      async () => {
        const topic = await newTopic('groups');
        const a: string[] = [];
        const b: string[] = [];
        await subscribe({ groupId: group('group-a'), topics: [topic], handler: async (m) => void a.push(text(m)) });
        await subscribe({ groupId: group('group-b'), topics: [topic], handler: async (m) => void b.push(text(m)) });
        const values = Array.from({ length: 30 }, (_, i) => `v-${i}`);
        await fx.bus.publish(
          topic,
          values.map((v, i) => msg(`k-${i % 7}`, v)),
        );
        await waitFor('both groups to receive all', () => a.length >= 30 && b.length >= 30);
        expect([...a].sort()).toEqual([...values].sort());
        expect([...b].sort()).toEqual([...values].sort());
      },
      testTimeoutMs,
    );

    it(
      'shares partitions among the members of a group (each message processed once)',
      async () => {
        const topic = await newTopic('share');
        const groupId = group('share');
        const byMember: ReceivedMessage[][] = [[], []];
        for (const list of byMember) {
          await subscribe({ groupId, topics: [topic], handler: async (m) => void list.push(m) });
        }
        await warmUp(topic, byMember);
        const warmCounts = byMember.map((l) => l.length);
        const values = Array.from({ length: 60 }, (_, i) => `share-${i}`);
        await fx.bus.publish(
          topic,
          values.map((v, i) => msg(`share-key-${i % 30}`, v)),
        );
        const test = () => byMember.map((l, i) => l.slice(warmCounts[i]).filter((m) => text(m).startsWith('share-')));
        await waitFor('all messages', () => test().flat().length >= values.length);
        const [first, second] = test() as [ReceivedMessage[], ReceivedMessage[]];
        expect([...first, ...second].map(text).sort()).toEqual([...values].sort());
        const partitionsOf = (list: ReceivedMessage[]) => new Set(list.map((m) => m.partition));
        for (const p of partitionsOf(first)) expect(partitionsOf(second).has(p)).toBe(false);
        expect(first.length + second.length).toBe(values.length);
      },
      testTimeoutMs,
    );

    it(
      'retries a failing handler (at-least-once) without letting later messages of the key overtake',
      async () => {
        const topic = await newTopic('retry');
        await withDlq(topic);
        const calls: Array<{ value: string; attempt: number }> = [];
        let failuresLeft = 2;
        const dlq: ReceivedMessage[] = [];
        await subscribe({ groupId: group('retry-dlq'), topics: [dlqTopic(topic)], handler: async (m) => void dlq.push(m) });
        await subscribe({
          groupId: group('retry'),
          topics: [topic],
          maxAttempts: 5,
          retryBackoffMs: 5,
          handler: async (m) => {
            calls.push({ value: text(m), attempt: m.attempt });
            if (text(m) === 'first' && failuresLeft > 0) {
              failuresLeft -= 1;
              throw new Error('transient failure');
            }
          },
        });
        await fx.bus.publish(topic, [msg('same-key', 'first'), msg('same-key', 'second')]);
        await waitFor('the second message', () => calls.some((c) => c.value === 'second'));
        expect(calls).toEqual([
          { value: 'first', attempt: 1 },
          { value: 'first', attempt: 2 },
          { value: 'first', attempt: 3 },
          { value: 'second', attempt: 1 },
        ]);
        expect(dlq).toHaveLength(0);
      },
      testTimeoutMs,
    );

    it(
      'sends a message to <topic>.dlq with error, source and attempts after maxAttempts, then moves on',
      async () => {
        const topic = await newTopic('dlq');
        await withDlq(topic);
        const dlq: ReceivedMessage[] = [];
        const attempts: number[] = [];
        const later: string[] = [];
        await subscribe({ groupId: group('dlq-reader'), topics: [dlqTopic(topic)], handler: async (m) => void dlq.push(m) });
        await subscribe({
          groupId: group('dlq'),
          topics: [topic],
          maxAttempts: 3,
          retryBackoffMs: 5,
          handler: async (m) => {
            if (text(m) === 'poison') {
              attempts.push(m.attempt);
              throw new Error('cannot process');
            }
            later.push(text(m));
          },
        });
        await fx.bus.publish(topic, [msg('k', 'poison', { 'x-origin': 'test' }), msg('k', 'after')]);
        await waitFor('the DLQ copy and the next message', () => dlq.length === 1 && later.length === 1);
        expect(attempts).toEqual([1, 2, 3]);
        const [dead] = dlq as [ReceivedMessage];
        expect(dead.key).toBe('k');
        expect(text(dead)).toBe('poison');
        expect(dead.headers['x-origin']).toBe('test');
        expect(dead.headers[EventHeaders.dlqError]).toContain('cannot process');
        expect(dead.headers[EventHeaders.dlqSourceTopic]).toBe(topic);
        expect(dead.headers[EventHeaders.dlqAttempts]).toBe('3');
        expect(later).toEqual(['after']);
      },
      testTimeoutMs,
    );

    it(
      'redelivers to another member of the group a message whose consumer died before acknowledging',
      async () => {
        const topic = await newTopic('redeliver');
        const groupId = group('redeliver');
        const received: ReceivedMessage[][] = [[], []];
        const subs: Subscription[] = [];
        for (const list of received) {
          subs.push(
            await subscribe({
              groupId,
              topics: [topic],
              handler: async (m) => {
                list.push(m);
                if (text(m) === 'target') await gate(); // never acknowledged while the test runs
              },
            }),
          );
        }
        await warmUp(topic, received);
        await fx.bus.publish(topic, [msg('target-key', 'target')]);
        const holder = () => received.findIndex((l) => l.some((m) => text(m) === 'target'));
        await waitFor('a member to hold the target', () => holder() >= 0);
        const dying = holder();
        const survivor = 1 - dying;
        await (subs[dying] as Subscription).close();
        await waitFor('redelivery to the other member', () =>
          (received[survivor] as ReceivedMessage[]).some((m) => text(m) === 'target'),
        );
        const redelivered = (received[survivor] as ReceivedMessage[]).find((m) => text(m) === 'target') as ReceivedMessage;
        const original = (received[dying] as ReceivedMessage[]).find((m) => text(m) === 'target') as ReceivedMessage;
        expect(redelivered.key).toBe('target-key');
        expect(redelivered.partition).toBe(original.partition);
        expect(redelivered.offset).toBe(original.offset);
      },
      testTimeoutMs,
    );

    it(
      'commits offsets only after the handler resolves (a later member resumes at the first unacknowledged message)',
      async () => {
        const topic = await newTopic('commit');
        const groupId = group('commit');
        const first: string[] = [];
        const sub = await subscribe({
          groupId,
          topics: [topic],
          handler: async (m) => {
            first.push(text(m));
            if (text(m) === 'm3') await gate();
          },
        });
        await fx.bus.publish(topic, [msg('k', 'm1'), msg('k', 'm2'), msg('k', 'm3')]);
        await waitFor('m3 to be in flight', () => first.includes('m3'));
        await sub.close();
        await fx.bus.publish(topic, [msg('k', 'm4')]);
        const second: string[] = [];
        await subscribe({ groupId, topics: [topic], handler: async (m) => void second.push(text(m)) });
        await waitFor('m4 at the later member', () => second.includes('m4'));
        expect(first).toEqual(['m1', 'm2', 'm3']);
        expect(second).toEqual(['m3', 'm4']);
      },
      testTimeoutMs,
    );

    it(
      'stops delivering to a closed subscription and closes the bus cleanly',
      async () => {
        const topic = await newTopic('close');
        const groupId = group('close');
        const first: string[] = [];
        const sub = await subscribe({ groupId, topics: [topic], handler: async (m) => void first.push(text(m)) });
        await fx.bus.publish(topic, [msg('k', 'before')]);
        await waitFor('the first message', () => first.length === 1);
        await sub.close();
        await sub.close(); // idempotent
        await fx.bus.publish(topic, [msg('k', 'after')]);
        const second: string[] = [];
        await subscribe({ groupId, topics: [topic], handler: async (m) => void second.push(text(m)) });
        await waitFor('the later member to receive the message', () => second.length === 1);
        expect(second).toEqual(['after']);
        expect(first).toEqual(['before']);
        await expect(fx.bus.close()).resolves.toBeUndefined();
        await expect(fx.bus.publish(topic, [msg('k', 'closed')])).rejects.toThrow();
      },
      testTimeoutMs,
    );
  });
}
