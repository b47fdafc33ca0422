import { EventRouter, Events, Topics, type EventBus, type Logger, type Subscription } from '@confide/platform';
import type { RelayMeetingEvents } from '../../use-cases/relay-meeting-events';

export const ingestRelayGroupId = (instanceId: string): string => `ingest-${instanceId}`;

/**
 * The one relay subscription of an ingest instance: transcript and insight events from the
 * latest offset (only meetings streaming now matter), in group `ingest-<instance id>` so
 * every instance sees every event and keeps those of the meetings it hosts.
 */
export async function subscribeMeetingRelay(opts: {
  bus: EventBus;
  instanceId: string;
  relay: RelayMeetingEvents;
  logger: Logger;
}): Promise<Subscription> {
  const { relay } = opts;
  const router = new EventRouter(opts.logger)
    .on(Events.SegmentTranscribed, async (value, envelope) => {
      if (value.segment) relay.segment(envelope, value.segment);
    })
    .on(Events.AlertRaised, async (value, envelope) => {
      if (value.alert) relay.alert(envelope, value.alert);
    })
    .on(Events.ReportGenerated, async (value, envelope) => {
      if (value.report) relay.report(envelope, value.report);
    });
  return opts.bus.subscribe({
    groupId: ingestRelayGroupId(opts.instanceId),
    topics: [Topics.transcript, Topics.insight],
    handler: router.handler,
    fromBeginning: false,
  });
}
