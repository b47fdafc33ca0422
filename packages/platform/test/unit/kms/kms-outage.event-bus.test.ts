import { AppError, InProcessEventBus, PoisonMessageError, createLogger, dlqTopic, type ReceivedMessage } from '../../../src';
import { KmsRequestError, KmsUnavailableError, holdOnKmsOutage, isKmsOutage } from '../../../src/kms';

const logger = createLogger({ service: 'kms-outage-test', level: 'silent' });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function waitFor(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('isKmsOutage', () => {
  it('is true for KmsUnavailableError, also as a cause, and false for everything else', () => {
    expect(isKmsOutage(new KmsUnavailableError('vault datakey: ECONNREFUSED'))).toBe(true);
    expect(isKmsOutage(new Error('publish failed', { cause: new KmsUnavailableError('timeout') }))).toBe(true);
    expect(isKmsOutage(new KmsRequestError('permission denied', 'permission-denied'))).toBe(false);
    expect(isKmsOutage(new AppError('unavailable', 'key registry unavailable'))).toBe(false);
    expect(isKmsOutage(new PoisonMessageError('bad'))).toBe(false);
    expect(isKmsOutage(undefined)).toBe(false);
  });
});

describe('holdOnKmsOutage', () => {
  let inner: InProcessEventBus;
  beforeEach(() => {
    inner = new InProcessEventBus({ logger });
  });
  afterEach(async () => {
    await inner.close();
  });

  it('holds a message through a KMS outage far longer than the retry budget, in order, and never dead-letters it', async () => {
    let kmsUp = false;
    const outages: unknown[] = [];
    const handled: string[] = [];
    let calls = 0;
    const dlq: string[] = [];
    await inner.subscribe({ groupId: 'dlq-reader', topics: [dlqTopic('t')], handler: async (m) => void dlq.push(m.value.toString()) });
    const held = holdOnKmsOutage(inner, { logger, firstBackoffMs: 1, maxBackoffMs: 5, onOutage: (err) => outages.push(err) });
    const sub = await held.subscribe({
      groupId: 'g',
      topics: ['t'],
      maxAttempts: 2,
      retryBackoffMs: 1,
      handler: async (m: ReceivedMessage) => {
        calls += 1;
        if (!kmsUp) throw new KmsUnavailableError('vault decrypt: ECONNREFUSED');
        handled.push(m.value.toString());
      },
    });
    await held.publish('t', [
      { key: 'meeting-1', value: Buffer.from('one') },
      { key: 'meeting-1', value: Buffer.from('two') },
    ]);
    // Many more tries than maxAttempts (2): the adapter saw none of them fail.
    await waitFor('20 tries while the KMS is down', () => calls >= 20);
    expect(handled).toEqual([]);
    expect(outages.length).toBeGreaterThanOrEqual(19);
    kmsUp = true;
    await waitFor('both messages', () => handled.length === 2);
    expect(handled).toEqual(['one', 'two']);
    expect(dlq).toEqual([]);
    await sub.close();
  });

  it('leaves other failures to the adapter (retry, then DLQ)', async () => {
    const dlq: string[] = [];
    await inner.subscribe({ groupId: 'dlq-reader', topics: [dlqTopic('p')], handler: async (m) => void dlq.push(m.value.toString()) });
    const bus = holdOnKmsOutage(inner, { logger, firstBackoffMs: 1 });
    let calls = 0;
    await bus.subscribe({
      groupId: 'g',
      topics: ['p'],
      maxAttempts: 3,
      retryBackoffMs: 1,
      handler: async () => {
        calls += 1;
        throw new PoisonMessageError('unencrypted payload refused');
      },
    });
    await bus.publish('p', [{ key: 'k', value: Buffer.from('poison') }]);
    await waitFor('the DLQ copy', () => dlq.length === 1);
    expect(calls).toBe(3);
  });

  it('stops holding when the subscription closes: the message is not acknowledged and is redelivered', async () => {
    const bus = holdOnKmsOutage(inner, { logger, firstBackoffMs: 1, maxBackoffMs: 2 });
    let calls = 0;
    const sub = await bus.subscribe({
      groupId: 'g',
      topics: ['c'],
      handler: async () => {
        calls += 1;
        throw new KmsUnavailableError('down');
      },
    });
    await bus.publish('c', [{ key: 'k', value: Buffer.from('held') }]);
    await waitFor('a few tries', () => calls >= 3);
    await sub.close();
    const after = calls;
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toBe(after);
    // The same group sees it again: it was never committed.
    const redelivered = deferred();
    const values: string[] = [];
    const again = await bus.subscribe({
      groupId: 'g',
      topics: ['c'],
      handler: async (m) => {
        values.push(m.value.toString());
        redelivered.resolve();
      },
    });
    await redelivered.promise;
    expect(values).toEqual(['held']);
    await again.close();
  });

  it('passes publish and ensureTopics through and closes the inner bus', async () => {
    const bus = holdOnKmsOutage(inner);
    await bus.ensureTopics([{ name: 'x', partitions: 2 }]);
    const got = deferred();
    await bus.subscribe({ groupId: 'g', topics: ['x'], handler: async () => got.resolve() });
    await bus.publish('x', [{ key: 'k', value: Buffer.from('v') }]);
    await got.promise;
    await bus.close();
    await expect(inner.publish('x', [{ key: 'k', value: Buffer.from('v') }])).rejects.toThrow();
  });
});
