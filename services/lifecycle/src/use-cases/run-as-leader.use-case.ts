import { isAppError, type Logger } from '@confide/platform';
import type { LeaderElection } from '../ports/leader-election.port';

export interface RunAsLeaderOptions {
  election: LeaderElection;
  /** The periodic work (e.g. a retention sweep, checkpoint signing); runs only on the leader. */
  task: (signal: AbortSignal) => Promise<void>;
  intervalMs: number;
  logger?: Logger;
}

/**
 * Runs `task` every `intervalMs` on exactly one replica: each tick, a follower tries to take the
 * leadership and the leader checks it still holds it; the task runs only while leading, never
 * twice at once. `stop()` aborts the running task, waits for it and releases the leadership, so a
 * follower takes over at its next tick (as it does when the leader's process or connection dies).
 */
export class RunAsLeader {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private leading = false;
  private stopped = false;

  constructor(private readonly options: RunAsLeaderOptions) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** True if this replica led at its last tick. */
  get isLeading(): boolean {
    return this.leading;
  }

  /** One election round and, when leading, one run of the task (also what the timer calls). */
  async tick(): Promise<void> {
    if (this.stopped || this.running) return this.running;
    this.running = (async () => {
      try {
        const was = this.leading;
        this.leading = await this.options.election.tryAcquire();
        if (this.leading !== was) this.options.logger?.info({ leading: this.leading }, this.leading ? 'leadership acquired' : 'leadership lost');
        if (this.leading && !this.stopped) await this.options.task(this.abort.signal);
      } catch (err) {
        // The kind says which (e.g. `unavailable` while storage is still starting); retried at the next tick.
        this.options.logger?.warn({ err: (err as Error).name, ...(isAppError(err) ? { kind: err.kind } : {}) }, 'leader task failed; retried at the next tick');
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
    this.leading = false;
    await this.options.election.release();
  }
}
