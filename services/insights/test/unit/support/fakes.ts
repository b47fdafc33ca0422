import type { Alert, Report } from '@confide/contracts';
import { createLogger, type Logger } from '@confide/platform';
import type { GenerateReportInput, InsightEngine } from '../../../src/ports/insight-engine.port';
import type { InsightEventPublisher } from '../../../src/ports/insight-events.port';

export const silentLogger = (): Logger => createLogger({ service: 'insights-test', level: 'silent' });

/** Records what was published; can be told to fail, or to hold publications until released. */
export class FakeInsightEventPublisher implements InsightEventPublisher {
  readonly alerts: Alert[] = [];
  readonly reports: Report[] = [];
  failWith: Error | undefined;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  /** Publications wait until `release()`. */
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async publishAlerts(alerts: readonly Alert[]): Promise<void> {
    await this.gate;
    if (this.failWith) throw this.failWith;
    this.alerts.push(...alerts);
  }

  async publishReport(report: Report): Promise<void> {
    await this.gate;
    if (this.failWith) throw this.failWith;
    this.reports.push(report);
  }
}

/** Records its inputs and returns a fixed report. */
export class FakeInsightEngine implements InsightEngine {
  readonly name = 'fake-engine';
  readonly inputs: GenerateReportInput[] = [];

  async generateReport(input: GenerateReportInput): Promise<Report> {
    this.inputs.push(input);
    return {
      meetingId: input.meetingId,
      tenantId: input.tenantId,
      summary: `${input.segments.length} segments`,
      actionItems: [],
      decisions: [],
      engine: this.name,
      generatedAtUnixMs: 0,
    };
  }
}

export const fixedClock = (now: number) => ({ now: () => now });
