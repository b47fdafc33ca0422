import type { Alert, Report } from '@confide/contracts';

/**
 * Where insights go (topic confide.insight.v1, keyed by meeting id). Each call resolves
 * only once the events are durably accepted by the bus: handlers await it before they
 * acknowledge their input.
 */
export interface InsightEventPublisher {
  publishAlerts(alerts: readonly Alert[]): Promise<void>;
  publishReport(report: Report): Promise<void>;
}
