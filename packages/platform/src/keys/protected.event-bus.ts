import { Envelope } from '@confide/contracts';
import type { BusMessage, EventBus, MessageHandler, SubscribeOptions, Subscription, TopicSpec } from '../event-bus/event-bus.port';
import { EventHeaders } from '../event-bus/event-bus.port';
import { payloadEncryptionOf } from '../event-bus/event-type';
import type { Logger } from '../logging/logger';
import type { PayloadProtector } from './payload-protector';

/**
 * An `EventBus` that encrypts event payloads on the way in and decrypts them on the way out,
 * so that every module composed over it is protected without knowing it (the composition
 * roots wrap their bus once: `protectEventBus(new KafkaEventBus(...), protector)`).
 *
 * - publish: each message's Envelope payload is sealed per its type (`payloadEncryptionOf`);
 *   if any message cannot be sealed the call throws and nothing is published (fail closed).
 *   Envelopes already sealed (an `EventPublisher` with its own protector) pass unchanged.
 * - subscribe: each delivered Envelope is opened before the handler sees it (with `key_ref`
 *   cleared); an audio payload whose key was destroyed is acknowledged without reaching the
 *   handler; a payload that is not encrypted as its type requires, or does not authenticate,
 *   is a PoisonMessageError (retried, then DLQ — still encrypted); a key that cannot be had now
 *   is a retryable error.
 *
 * The underlying bus (and its DLQ and Kafka log) only ever holds ciphertext. Do not also give
 * the modules' EventPublisher/EventRouter a protector (they would find plaintext and refuse it).
 */
export function protectEventBus(bus: EventBus, protector: PayloadProtector, opts: { logger?: Logger } = {}): EventBus {
  return new ProtectedEventBus(bus, protector, opts.logger);
}

class ProtectedEventBus implements EventBus {
  constructor(
    private readonly inner: EventBus,
    private readonly protector: PayloadProtector,
    private readonly logger: Logger | undefined,
  ) {}

  async publish(topic: string, messages: BusMessage[]): Promise<void> {
    const sealed = await Promise.all(messages.map((m) => this.seal(m)));
    await this.inner.publish(topic, sealed);
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe({ ...options, handler: this.opening(options.handler) });
  }

  ensureTopics(topics: TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async seal(message: BusMessage): Promise<BusMessage> {
    const envelope = Envelope.decode(message.value); // our own publishers' envelopes: a failure here is a bug
    if (envelope.keyRef !== '') return message;
    const typeName = envelope.type || message.headers?.[EventHeaders.eventType] || '';
    const sealed = await this.protector.seal(envelope, payloadEncryptionOf(typeName));
    if (sealed === envelope) return message;
    return { ...message, value: Buffer.from(Envelope.encode(sealed).finish()) };
  }

  private opening(handler: MessageHandler): MessageHandler {
    return async (message) => {
      let envelope: Envelope;
      try {
        envelope = Envelope.decode(message.value);
      } catch {
        return handler(message); // the handler reports the undecodable envelope (PoisonMessageError)
      }
      const typeName = envelope.type || message.headers[EventHeaders.eventType] || '';
      const opened = await this.protector.open(envelope, payloadEncryptionOf(typeName));
      if (opened.outcome === 'dropped') {
        this.logger?.debug(
          { topic: message.topic, partition: message.partition, offset: message.offset, typeName, eventId: envelope.id },
          'dropping event whose key was destroyed',
        );
        return;
      }
      if (envelope.keyRef === '') return handler(message);
      const plain: Envelope = { ...envelope, keyRef: '', payload: Buffer.from(opened.payload) };
      return handler({ ...message, value: Buffer.from(Envelope.encode(plain).finish()) });
    };
  }
}
