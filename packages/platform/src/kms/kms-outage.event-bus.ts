import type { BusMessage, EventBus, MessageHandler, SubscribeOptions, Subscription, TopicSpec } from '../event-bus/event-bus.port';
import type { Logger } from '../logging/logger';
import { isRetryableKmsError } from './kms.errors';

export interface KmsOutageHoldOptions {
  logger?: Logger;
  /** Called on every handler failure caused by the KMS being unavailable (e.g. to report health). */
  onOutage?: (err: unknown) => void;
  /** First wait between two tries of a held message. Default 250 ms, doubling. */
  firstBackoffMs?: number;
  /** Longest wait between two tries of a held message. Default 5 s. */
  maxBackoffMs?: number;
}

/**
 * True when `err` (or an error in its `cause` chain) says the KMS could not be reached or could
 * not answer (`KmsUnavailableError`): retrying later will succeed, nothing was written.
 */
export function isKmsOutage(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth += 1) {
    if (isRetryableKmsError(e)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Fail closed without losing anything while the KMS is down (ARCHITECTURE.md promise 2).
 *
 * The bus adapters retry a failing handler `maxAttempts` times (a second or two with the
 * defaults) and then dead-letter the message: right for a message that can never succeed,
 * wrong for one that only waits for the KMS, which would end in the DLQ after any outage
 * longer than the retry budget. This wrapper holds such a message instead: a handler that
 * fails because the KMS is unavailable (`isKmsOutage`) is tried again in place, with backoff,
 * until it succeeds, fails for another reason (then the adapter's own retry / DLQ applies), or
 * the subscription closes (then it is abandoned uncommitted and redelivered after a restart).
 * The partition waits meanwhile: its offset is not committed and later messages of the same
 * meeting stay behind it, so order is kept and the processing resumes where it stopped.
 * The adapters heartbeat while a handler is pending, so holding does not cost group membership.
 *
 * Compose it under the payload protector, so that decryption failures are held too:
 * `protectEventBus(holdOnKmsOutage(kafkaBus), protector)`.
 */
export function holdOnKmsOutage(bus: EventBus, opts: KmsOutageHoldOptions = {}): EventBus {
  return new KmsOutageHoldingEventBus(bus, opts);
}

class KmsOutageHoldingEventBus implements EventBus {
  private readonly closing = new AbortController();

  constructor(
    private readonly inner: EventBus,
    private readonly opts: KmsOutageHoldOptions,
  ) {}

  publish(topic: string, messages: BusMessage[]): Promise<void> {
    return this.inner.publish(topic, messages);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const closed = new AbortController();
    const onBusClose = (): void => closed.abort();
    this.closing.signal.addEventListener('abort', onBusClose, { once: true });
    let subscription: Subscription;
    try {
      subscription = await this.inner.subscribe({ ...options, handler: this.holding(options, closed.signal) });
    } catch (err) {
      this.closing.signal.removeEventListener('abort', onBusClose);
      throw err;
    }
    return {
      close: async () => {
        closed.abort();
        this.closing.signal.removeEventListener('abort', onBusClose);
        await subscription.close();
      },
    };
  }

  ensureTopics(topics: TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.inner.close();
  }

  private holding(options: SubscribeOptions, closed: AbortSignal): MessageHandler {
    const first = this.opts.firstBackoffMs ?? 250;
    const max = this.opts.maxBackoffMs ?? 5000;
    const logger = this.opts.logger;
    return async (message) => {
      let heldSince: number | undefined;
      for (let tries = 1; ; tries += 1) {
        try {
          await options.handler(message);
          if (heldSince !== undefined) {
            logger?.info(
              { topic: message.topic, partition: message.partition, offset: message.offset, groupId: options.groupId, heldMs: Date.now() - heldSince, tries },
              'kms available again; held message processed',
            );
          }
          return;
        } catch (err) {
          if (!isKmsOutage(err) || closed.aborted) throw err;
          this.opts.onOutage?.(err);
          const where = { topic: message.topic, partition: message.partition, offset: message.offset, groupId: options.groupId };
          if (heldSince === undefined) {
            heldSince = Date.now();
            logger?.warn({ ...where, err: errName(err) }, 'kms unavailable; holding the message (nothing written, offset not committed) until it returns');
          }
          const waitMs = Math.min(first * 2 ** Math.min(tries - 1, 20), max);
          if (!(await sleep(waitMs, closed))) throw err; // closing: abandoned uncommitted, redelivered later
        }
      }
    };
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function errName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}
