import { EventPublisher, Events, Topics, type Clock, type EventBus } from '@confide/platform';
import type { ErasureEventPublisher, MeetingErasedNotice } from '../../ports/erasure-events.port';

/** MeetingErasedEvent on confide.lifecycle.v1, keyed by meeting id. */
export class BusErasureEventPublisher implements ErasureEventPublisher {
  private readonly publisher: EventPublisher;

  constructor(bus: EventBus, opts: { clock?: Clock } = {}) {
    this.publisher = new EventPublisher(bus, opts.clock ? { clock: opts.clock } : {});
  }

  meetingErased(n: MeetingErasedNotice): Promise<void> {
    return this.publisher.publish(
      Topics.lifecycle,
      Events.MeetingErased,
      { meetingId: n.meetingId, tenantId: n.tenantId, requestedBy: n.requestedBy, erasedAtUnixMs: n.erasedAtMs },
      { tenantId: n.tenantId, meetingId: n.meetingId },
    );
  }
}
