import type { Logger } from '../logging/logger';

/** Hard limit for a graceful shutdown before the process exits with 1. */
export const SHUTDOWN_HARD_LIMIT_MS = 30_000;

export interface OnShutdownOptions {
  /** Signals to handle; default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  /** Hard limit in ms; default 30 s. */
  hardLimitMs?: number;
  /** Process exit; replaceable for tests. */
  exit?: (code: number) => void;
}

/**
 * Runs `fn` once on the first SIGTERM/SIGINT, then exits 0 (1 if fn fails or the hard
 * limit passes). Returns a function that removes the signal handlers.
 */
export function onShutdown(
  logger: Logger,
  fn: (signal: string) => Promise<void>,
  opts: OnShutdownOptions = {},
): () => void {
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const hardLimitMs = opts.hardLimitMs ?? SHUTDOWN_HARD_LIMIT_MS;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let started = false;

  const handler = (signal: NodeJS.Signals): void => {
    if (started) {
      logger.warn({ signal }, 'shutdown already in progress');
      return;
    }
    started = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ signal, hardLimitMs }, 'shutdown hard limit reached');
      exit(1);
    }, hardLimitMs);
    timer.unref();
    fn(signal).then(
      () => {
        clearTimeout(timer);
        logger.info({ signal }, 'shutdown complete');
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        logger.error({ err: errorSummary(err) }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

/** Name and stack only: never a payload. */
export function errorSummary(err: unknown): { name: string; stack?: string } {
  if (err instanceof Error) return { name: err.name, stack: err.stack };
  return { name: typeof err };
}
