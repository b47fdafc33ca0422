import { createHash } from 'node:crypto';
import type { Alert, Report } from '@confide/contracts';
import { EventPublisher, Events, Topics, eventItem, type Clock, type EventBus } from '@confide/platform';
import type { InsightEventPublisher } from '../../ports/insight-events.port';

/** A stable UUID-shaped id derived from a name, so a republished alert keeps its event id. */
export function deterministicEventId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * AlertRaised and ReportGenerated on confide.insight.v1, keyed by meeting id. Alerts carry
 * an event id derived from the alert id (duplicates collapse at consumers); a report gets
 * a fresh one because a later report of a meeting must replace the earlier one.
 */
export class BusInsightEventPublisher implements InsightEventPublisher {
  private readonly publisher: EventPublisher;

  constructor(bus: EventBus, opts: { clock?: Clock } = {}) {
    this.publisher = new EventPublisher(bus, opts.clock ? { clock: opts.clock } : {});
  }

  async publishAlerts(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.publisher.publishMany(
      Topics.insight,
      alerts.map((alert) =>
        eventItem(
          Events.AlertRaised,
          { alert },
          { tenantId: alert.tenantId, meetingId: alert.meetingId, eventId: deterministicEventId(`alert:${alert.alertId}`) },
        ),
      ),
    );
  }

  async publishReport(report: Report): Promise<void> {
    await this.publisher.publish(Topics.insight, Events.ReportGenerated, { report }, {
      tenantId: report.tenantId,
      meetingId: report.meetingId,
    });
  }
}
