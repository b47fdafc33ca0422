import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AppError } from '../errors/app-error';
import type { Logger } from '../logging/logger';
import {
  EventHeaders,
  type BusMessage,
  type EventBus,
  type MessageHandler,
  type ReceivedMessage,
  type SubscribeOptions,
  type Subscription,
  type TopicSpec,
} from './event-bus.port';
import { partitionForKey } from './murmur2';
import { dlqTopic } from './topics';

export interface InProcessEventBusOptions {
  logger?: Logger;
  /** Partitions of auto-created topics (publish/subscribe before ensureTopics). Default 6. */
  defaultPartitions?: number;
  /**
   * Drop messages that every group known to the topic has acknowledged (default true).
   * A group that subscribes later with `fromBeginning` starts at the earliest retained
   * message, as with a broker's retention. With `false` the whole log is kept.
   */
  trimAcknowledged?: boolean;
}

const DEFAULT_PARTITIONS = 6;
const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_RETRY_BACKOFF_MS = 100;
const MAX_RETRY_BACKOFF_MS = 30_000;
/** Yield to the event loop after this many deliveries in a row on one partition. */
const DELIVERIES_PER_YIELD = 64;
/** Trim a partition's log once this many acknowledged messages lead it. */
const TRIM_THRESHOLD = 256;
const MAX_DLQ_ERROR_LENGTH = 500;

interface StoredMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

class PartitionLog {
  /** Offset of messages[0]. */
  base = 0;
  messages: StoredMessage[] = [];

  get end(): number {
    return this.base + this.messages.length;
  }

  at(offset: number): StoredMessage | undefined {
    return this.messages[offset - this.base];
  }

  trimBefore(offset: number): void {
    const count = offset - this.base;
    if (count <= 0) return;
    this.messages.splice(0, count);
    this.base = offset;
  }
}

class TopicState {
  readonly partitions: PartitionLog[];
  constructor(
    readonly name: string,
    partitionCount: number,
  ) {
    this.partitions = Array.from({ length: partitionCount }, () => new PartitionLog());
  }
}

/** A group's position in one partition of one topic. */
interface Cursor {
  readonly topic: TopicState;
  readonly partition: number;
  /** Next offset to deliver = committed offset. */
  committed: number;
  /** Deliveries so far of the message at `committed` (survives a member's death). */
  attempts: number;
  owner: Member | undefined;
  running: boolean;
}

class Member {
  closed = false;
  private readonly closeListeners = new Set<() => void>();

  constructor(
    readonly group: GroupState,
    readonly topics: string[],
    readonly handler: MessageHandler,
    readonly maxAttempts: number,
    readonly retryBackoffMs: number,
  ) {}

  markClosed(): void {
    this.closed = true;
    for (const listener of [...this.closeListeners]) listener();
    this.closeListeners.clear();
  }

  /**
   * Settles with `work`'s result, or 'closed' as soon as the member closes (the work is then
   * abandoned). The close listener is removed afterwards, so long-lived members do not leak.
   */
  async unlessClosed<T>(work: Promise<T>): Promise<T | 'closed'> {
    if (this.closed) return 'closed';
    let listener: (() => void) | undefined;
    const closed = new Promise<'closed'>((resolve) => {
      listener = () => resolve('closed');
      this.closeListeners.add(listener);
    });
    try {
      return await Promise.race([work, closed]);
    } finally {
      if (listener) this.closeListeners.delete(listener);
    }
  }
}

class GroupState {
  readonly members: Member[] = [];
  /** key `${topic}\u0000${partition}` */
  readonly cursors = new Map<string, Cursor>();
  constructor(readonly id: string) {}
}

type Outcome = 'acked' | 'abandoned';

const cursorKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * The embedded EventBus: Kafka semantics in one process.
 *
 * - Topics have partitions; partition = murmur2(key) % partitions, so one key keeps order.
 * - Each consumer group has its own committed offset per partition; the group's current
 *   members share the partitions (round-robin in join order, rebalanced on subscribe/close).
 *   A reassigned partition moves after its in-flight message is acknowledged, unless its
 *   member closed (then the message is redelivered to the new owner).
 * - Delivery is sequential per partition per group; the offset is committed only after the
 *   handler resolves. A rejecting handler is retried with exponential backoff
 *   (retryBackoffMs * 2^(attempt-1)); after maxAttempts the message is copied to
 *   `<topic>.dlq` with dlq headers and acknowledged.
 * - Retention: each partition keeps its log until every group that knows the topic has
 *   acknowledged the messages (then acknowledged prefixes are trimmed; see
 *   `trimAcknowledged`). Topic `retentionMs` is not applied. Nothing survives the process.
 */
export class InProcessEventBus implements EventBus {
  private readonly topics = new Map<string, TopicState>();
  private readonly groups = new Map<string, GroupState>();
  private readonly logger: Logger | undefined;
  private readonly defaultPartitions: number;
  private readonly trimAcknowledged: boolean;
  private closed = false;

  constructor(opts: InProcessEventBusOptions = {}) {
    this.logger = opts.logger;
    this.defaultPartitions = opts.defaultPartitions ?? DEFAULT_PARTITIONS;
    this.trimAcknowledged = opts.trimAcknowledged ?? true;
    if (!Number.isInteger(this.defaultPartitions) || this.defaultPartitions < 1) {
      throw new AppError('invalid-argument', 'defaultPartitions must be a positive integer');
    }
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    this.assertOpen();
    for (const spec of topics) {
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new AppError('invalid-argument', `topic ${spec.name}: partitions must be a positive integer`);
      }
      this.topic(spec.name, spec.partitions);
    }
  }

  async publish(topic: string, messages: BusMessage[]): Promise<void> {
    this.assertOpen();
    const state = this.topic(topic);
    const touched = new Set<number>();
    for (const message of messages) {
      if (typeof message.key !== 'string') throw new AppError('invalid-argument', 'message key must be a string');
      const partition = partitionForKey(message.key, state.partitions.length);
      (state.partitions[partition] as PartitionLog).messages.push({
        key: message.key,
        value: Buffer.from(message.value),
        headers: { ...(message.headers ?? {}) },
      });
      touched.add(partition);
    }
    for (const group of this.groups.values()) {
      for (const partition of touched) {
        const cursor = group.cursors.get(cursorKey(topic, partition));
        if (cursor) this.kick(cursor);
      }
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    if (!options.groupId) throw new AppError('invalid-argument', 'groupId is required');
    if (options.topics.length === 0) throw new AppError('invalid-argument', 'at least one topic is required');
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new AppError('invalid-argument', 'maxAttempts must be a positive integer');
    }
    const group = this.groups.get(options.groupId) ?? new GroupState(options.groupId);
    this.groups.set(group.id, group);
    const fromBeginning = options.fromBeginning ?? true;
    for (const name of options.topics) {
      const topic = this.topic(name);
      topic.partitions.forEach((log, partition) => {
        const key = cursorKey(name, partition);
        if (!group.cursors.has(key)) {
          group.cursors.set(key, {
            topic,
            partition,
            committed: fromBeginning ? log.base : log.end,
            attempts: 0,
            owner: undefined,
            running: false,
          });
        }
      });
    }
    const member = new Member(
      group,
      [...new Set(options.topics)],
      options.handler,
      maxAttempts,
      options.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS,
    );
    group.members.push(member);
    this.rebalance(group);
    return { close: async () => this.leave(member) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const group of this.groups.values()) {
      for (const member of [...group.members]) member.markClosed();
      group.members.length = 0;
      for (const cursor of group.cursors.values()) cursor.owner = undefined;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('unavailable', 'event bus is closed');
  }

  private topic(name: string, partitions = this.defaultPartitions): TopicState {
    if (!name) throw new AppError('invalid-argument', 'topic name is required');
    let state = this.topics.get(name);
    if (!state) {
      state = new TopicState(name, partitions);
      this.topics.set(name, state);
    }
    return state;
  }

  private leave(member: Member): void {
    if (member.closed) return;
    const group = member.group;
    const index = group.members.indexOf(member);
    if (index >= 0) group.members.splice(index, 1);
    this.rebalance(group);
    // Resolve after reassignment so an abandoned partition continues with its new owner.
    member.markClosed();
  }

  /** Round-robin per topic among the members subscribed to it, in join order. */
  private rebalance(group: GroupState): void {
    const byTopic = new Map<string, Cursor[]>();
    for (const cursor of group.cursors.values()) {
      const list = byTopic.get(cursor.topic.name) ?? [];
      list.push(cursor);
      byTopic.set(cursor.topic.name, list);
    }
    for (const [topic, cursors] of byTopic) {
      const members = group.members.filter((m) => !m.closed && m.topics.includes(topic));
      cursors.sort((a, b) => a.partition - b.partition);
      cursors.forEach((cursor, i) => {
        cursor.owner = members.length > 0 ? members[i % members.length] : undefined;
        this.kick(cursor);
      });
    }
  }

  private kick(cursor: Cursor): void {
    if (cursor.running || this.closed || !cursor.owner) return;
    cursor.running = true;
    setImmediate(() => {
      this.pump(cursor).catch((err: unknown) => {
        this.logger?.error({ err: errName(err), topic: cursor.topic.name, partition: cursor.partition }, 'event bus pump failed');
      });
    });
  }

  private async pump(cursor: Cursor): Promise<void> {
    try {
      let streak = 0;
      for (;;) {
        const member = cursor.owner;
        const log = cursor.topic.partitions[cursor.partition] as PartitionLog;
        if (this.closed || !member || member.closed || cursor.committed >= log.end) return;
        const stored = log.at(cursor.committed) as StoredMessage;
        const offset = cursor.committed;
        const outcome = await this.deliver(member, cursor, stored, offset);
        if (outcome === 'acked') {
          cursor.committed = offset + 1;
          cursor.attempts = 0;
          this.maybeTrim(cursor);
        }
        streak += 1;
        if (streak % DELIVERIES_PER_YIELD === 0) await yieldToEventLoop();
      }
    } finally {
      cursor.running = false;
    }
  }

  private async deliver(member: Member, cursor: Cursor, stored: StoredMessage, offset: number): Promise<Outcome> {
    for (;;) {
      if (member.closed || this.closed) return 'abandoned';
      cursor.attempts += 1;
      const attempt = cursor.attempts;
      const message: ReceivedMessage = {
        topic: cursor.topic.name,
        partition: cursor.partition,
        offset: String(offset),
        key: stored.key,
        value: Buffer.from(stored.value),
        headers: { ...stored.headers },
        attempt,
      };
      const result = await member.unlessClosed(invoke(member.handler, message));
      if (result === 'closed') return 'abandoned';
      if (result.ok) return 'acked';
      if (attempt >= member.maxAttempts) {
        await this.deadLetter(member, cursor, stored, offset, attempt, result.error);
        return 'acked';
      }
      const delay = Math.min(member.retryBackoffMs * 2 ** (attempt - 1), MAX_RETRY_BACKOFF_MS);
      this.logger?.warn(
        { topic: cursor.topic.name, partition: cursor.partition, offset, groupId: member.group.id, attempt, delayMs: delay, err: errName(result.error) },
        'event handler failed; retrying',
      );
      const timer = cancellableSleep(delay);
      const slept = await member.unlessClosed(timer.promise);
      timer.cancel();
      if (slept === 'closed') return 'abandoned';
    }
  }

  private async deadLetter(
    member: Member,
    cursor: Cursor,
    stored: StoredMessage,
    offset: number,
    attempts: number,
    error: unknown,
  ): Promise<void> {
    const topic = cursor.topic.name;
    this.logger?.error(
      { topic, partition: cursor.partition, offset, groupId: member.group.id, attempts, err: errName(error) },
      'event handler failed; message sent to DLQ',
    );
    if (this.closed) return;
    await this.publish(dlqTopic(topic), [
      {
        key: stored.key,
        value: stored.value,
        headers: {
          ...stored.headers,
          [EventHeaders.dlqError]: describeError(error),
          [EventHeaders.dlqSourceTopic]: topic,
          [EventHeaders.dlqAttempts]: String(attempts),
          [EventHeaders.dlqGroupId]: member.group.id,
          [EventHeaders.dlqSourcePartition]: String(cursor.partition),
          [EventHeaders.dlqSourceOffset]: String(offset),
        },
      },
    ]);
  }

  /** Drops the prefix of the partition that every group knowing the topic has acknowledged. */
  private maybeTrim(cursor: Cursor): void {
    if (!this.trimAcknowledged) return;
    const log = cursor.topic.partitions[cursor.partition] as PartitionLog;
    let min = Number.POSITIVE_INFINITY;
    const key = cursorKey(cursor.topic.name, cursor.partition);
    for (const group of this.groups.values()) {
      const c = group.cursors.get(key);
      if (c) min = Math.min(min, c.committed);
    }
    if (Number.isFinite(min) && min - log.base >= TRIM_THRESHOLD) log.trimBefore(min);
  }
}

type InvokeResult = { ok: true } | { ok: false; error: unknown };

async function invoke(handler: MessageHandler, message: ReceivedMessage): Promise<InvokeResult> {
  try {
    await handler(message);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

function cancellableSleep(ms: number): { promise: Promise<'slept'>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'slept'>((resolve) => {
    timer = setTimeout(() => resolve('slept'), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

function errName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/** "Name: message", truncated. Error messages must not carry content (see CONVENTIONS.md). */
function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > MAX_DLQ_ERROR_LENGTH ? `${text.slice(0, MAX_DLQ_ERROR_LENGTH)}…` : text;
}
