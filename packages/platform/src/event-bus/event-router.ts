import { Envelope } from '@confide/contracts';
import { SpanKind } from '@opentelemetry/api';
import type { Logger } from '../logging/logger';
import { extractTraceContext, withSpan } from '../telemetry/trace-context';
import { EventHeaders, type MessageHandler, type ReceivedMessage } from './event-bus.port';
import type { PayloadProtector } from '../keys/payload-protector';
import { payloadEncryptionOf, type EventType } from './event-type';
import { PoisonMessageError } from './poison-message.error';

/** Decodes the Envelope of a bus message. Throws PoisonMessageError when it cannot. */
export function decodeEvent(message: ReceivedMessage): { envelope: Envelope; typeName: string } {
  let envelope: Envelope;
  try {
    envelope = Envelope.decode(message.value);
  } catch {
    throw new PoisonMessageError(`undecodable envelope at ${message.topic}/${message.partition}@${message.offset}`);
  }
  const typeName = envelope.type || message.headers[EventHeaders.eventType] || '';
  return { envelope, typeName };
}

export type EventHandler<T> = (value: T, envelope: Envelope, message: ReceivedMessage) => Promise<void>;

interface Route {
  type: EventType<unknown>;
  handler: EventHandler<unknown>;
}

export interface EventRouterOptions {
  /**
   * Decrypts payloads before decoding them; payloads that are not encrypted as their type
   * requires are refused (PoisonMessageError), never decoded as plaintext. Without one payloads
   * are taken as plain (unit tests; or a bus wrapped with `protectEventBus` — never both).
   */
  protector?: PayloadProtector;
}

/**
 * Dispatches bus messages to typed handlers by envelope type, inside the trace context
 * carried in the headers. Unknown types are acknowledged (debug log); an undecodable
 * envelope or payload throws PoisonMessageError (retried, then DLQ). With a protector: a key
 * that cannot be had now is a retryable error (redelivered); an audio payload whose key was
 * destroyed is acknowledged and dropped (crypto-shredded), never handled.
 */
export class EventRouter {
  private readonly routes = new Map<string, Route>();

  constructor(
    private readonly logger: Logger,
    private readonly opts: EventRouterOptions = {},
  ) {}

  on<T>(type: EventType<T>, handler: EventHandler<T>): this {
    if (this.routes.has(type.typeName)) throw new Error(`handler already registered for ${type.typeName}`);
    this.routes.set(type.typeName, { type: type as EventType<unknown>, handler: handler as EventHandler<unknown> });
    return this;
  }

  /** The MessageHandler to subscribe with. */
  readonly handler: MessageHandler = async (message) => {
    const { envelope, typeName } = decodeEvent(message);
    const route = this.routes.get(typeName);
    if (!route) {
      this.logger.debug({ topic: message.topic, partition: message.partition, offset: message.offset, typeName }, 'ignoring event of unhandled type');
      return;
    }
    let payload: Uint8Array = envelope.payload;
    if (this.opts.protector) {
      const opened = await this.opts.protector.open(envelope, payloadEncryptionOf(typeName));
      if (opened.outcome === 'dropped') {
        this.logger.debug({ topic: message.topic, partition: message.partition, offset: message.offset, typeName, eventId: envelope.id }, 'dropping event whose key was destroyed');
        return;
      }
      payload = opened.payload;
    }
    let value: unknown;
    try {
      value = route.type.decode(payload);
    } catch {
      throw new PoisonMessageError(`undecodable ${typeName} payload at ${message.topic}/${message.partition}@${message.offset}`);
    }
    await withSpan(
      `process ${message.topic}`,
      {
        'messaging.system': 'confide',
        'messaging.operation.type': 'process',
        'messaging.destination.name': message.topic,
        'messaging.destination.partition.id': String(message.partition),
        'messaging.kafka.offset': Number(message.offset),
        'messaging.message.id': envelope.id,
        'confide.event.type': typeName,
        'confide.delivery.attempt': message.attempt,
      },
      () => route.handler(value, envelope, message),
      extractTraceContext(message.headers),
      SpanKind.CONSUMER,
    );
  };
}
