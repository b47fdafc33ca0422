import type { Alert, Report } from '@confide/contracts';
import { EventRouter, Events, Topics, type EventBus, type Logger, type Subscription } from '@confide/platform';

/** Collects the events insights publishes to confide.insight.v1 and lets a test wait for a condition. */
export class InsightObserver {
  readonly alerts: Alert[] = [];
  readonly reports: Report[] = [];
  private subscription: Subscription | undefined;
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];

  async start(bus: EventBus, logger: Logger): Promise<void> {
    const router = new EventRouter(logger)
      .on(Events.AlertRaised, async (event) => {
        if (event.alert) this.alerts.push(event.alert);
        this.notify();
      })
      .on(Events.ReportGenerated, async (event) => {
        if (event.report) this.reports.push(event.report);
        this.notify();
      });
    this.subscription = await bus.subscribe({ groupId: 'test-observer', topics: [Topics.insight], handler: router.handler });
  }

  /** Resolves once `check` holds (the test's own timeout bounds the wait). */
  until(check: (o: InsightObserver) => boolean): Promise<void> {
    if (check(this)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check: () => check(this), resolve }));
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  private notify(): void {
    const pending = this.waiters;
    this.waiters = [];
    for (const waiter of pending) {
      if (waiter.check()) waiter.resolve();
      else this.waiters.push(waiter);
    }
  }
}
