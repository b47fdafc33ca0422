import type { Logger } from '../logging/logger';
import type { Kms } from './kms.port';

export interface KmsHealthMonitorOptions {
  kms: Pick<Kms, 'health'>;
  /** Probe period. */
  intervalMs: number;
  /** Called on each change: false when the KMS became unavailable, true when it is back. */
  onChange: (available: boolean) => void;
  logger?: Logger;
}

/**
 * Tracks whether the KMS answers: `Kms.health()` every `intervalMs`, and at once when a caller
 * saw it fail (`reportUnavailable`, e.g. from `holdOnKmsOutage`). Starts "available"; only
 * changes are reported. A service maps them to its gRPC health (NOT_SERVING while unavailable).
 */
export class KmsHealthMonitor {
  private state = true;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: KmsHealthMonitorOptions) {}

  get available(): boolean {
    return this.state;
  }

  /** Probes now, then every `intervalMs` (the timer does not keep the process alive). */
  start(): Promise<void> {
    if (this.timer === undefined && !this.stopped) {
      this.timer = setInterval(() => void this.probe(), this.opts.intervalMs);
      this.timer.unref();
    }
    return this.probe();
  }

  /** A caller saw the KMS fail: unavailable now, until a probe finds it healthy again. */
  reportUnavailable(): void {
    this.set(false);
  }

  /** One probe (concurrent calls share it). */
  probe(): Promise<void> {
    this.probing ??= (async () => {
      try {
        const health = await this.opts.kms.health().catch(() => 'unavailable' as const);
        this.set(health === 'ok');
      } finally {
        this.probing = undefined;
      }
    })();
    return this.probing;
  }

  /** Stops probing and reporting (before the server's own shutdown sets NOT_SERVING). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private set(available: boolean): void {
    if (this.stopped || available === this.state) return;
    this.state = available;
    if (available) this.opts.logger?.info('kms available again; health SERVING');
    else this.opts.logger?.warn('kms unavailable; health NOT_SERVING (content is neither written nor committed until it returns)');
    this.opts.onChange(available);
  }
}
