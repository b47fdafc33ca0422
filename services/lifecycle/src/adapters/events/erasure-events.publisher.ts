import { EventPublisher, Events, Topics, type Clock, type EventBus } from '@confide/platform';
import type { ErasureEventPublisher, MeetingErasedNotice, UserDataErasedNotice, UserErasureEventPublisher } from '../../ports/erasure-events.port';

/**
 * The erasure tombstones on confide.lifecycle.v1 (ids only, unencrypted, kept forever: ADR 0013):
 * MeetingErasedEvent keyed by meeting id, UserDataErasedEvent keyed by tenant id.
 */
export class BusErasureEventPublisher implements ErasureEventPublisher, UserErasureEventPublisher {
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

  userDataErased(n: UserDataErasedNotice): Promise<void> {
    return this.publisher.publish(
      Topics.lifecycle,
      Events.UserDataErased,
      { tenantId: n.tenantId, userId: n.userId, requestedBy: n.requestedBy, erasedAtUnixMs: n.erasedAtMs, erasureId: n.erasureId },
      // The erasure id as the event id: a re-announcement (a resumed erasure) is the same event.
      { tenantId: n.tenantId, meetingId: '', key: n.tenantId, eventId: `user-data-erased:${n.erasureId}` },
    );
  }
}
