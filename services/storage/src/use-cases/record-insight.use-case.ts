import type { Alert, Report } from '@confide/contracts';
import type { Logger } from '@confide/platform';
import { requireId, requireMeetingRef } from '../domain/identifiers';
import type { MeetingRecordStore, WriteOutcome } from '../ports/meeting-records.port';

/** AlertRaised -> one alert row (idempotent by alert id); ReportGenerated -> the meeting's report (upsert). */
export class RecordInsight {
  constructor(private readonly deps: { store: MeetingRecordStore; logger: Logger }) {}

  async alert(alert: Alert, eventTimeMs: number): Promise<WriteOutcome> {
    const ref = requireMeetingRef(alert);
    const alertId = requireId('alert_id', alert.alertId);
    const outcome = await this.deps.store.recordAlert({ ...alert, ...ref, alertId }, eventTimeMs);
    this.deps.logger.debug({ ...ref, alertId, ruleId: alert.ruleId, outcome }, 'alert recorded');
    return outcome;
  }

  async report(report: Report, eventTimeMs: number): Promise<WriteOutcome> {
    const ref = requireMeetingRef(report);
    const generatedAtUnixMs = report.generatedAtUnixMs > 0 ? report.generatedAtUnixMs : eventTimeMs;
    const outcome = await this.deps.store.recordReport({ ...report, ...ref, generatedAtUnixMs }, eventTimeMs);
    this.deps.logger.debug({ ...ref, outcome }, 'report recorded');
    return outcome;
  }
}
