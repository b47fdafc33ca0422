import { ensureTracePropagation } from './trace-context';

export interface Telemetry {
  /** Flushes and stops exporters (no-op when telemetry is off). */
  shutdown(): Promise<void>;
}

export interface StartTelemetryOptions {
  serviceName: string;
}

/**
 * True when the standard environment asks for export: OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_TRACES_EXPORTER (not "none") is set, and
 * OTEL_SDK_DISABLED is not "true".
 */
export function isTelemetryConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporter = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (exporter && exporter !== 'none'));
}

/**
 * Starts @opentelemetry/sdk-node (configured by the standard OTEL_* variables, with the HTTP
 * instrumentation) when isTelemetryConfigured, otherwise nothing. Either way registers the
 * W3C trace-context propagator and an AsyncLocalStorage context manager, so trace context
 * flows through gRPC metadata and event headers. gRPC spans are created by the platform's
 * unaryHandler/callUnary themselves (they work whatever the import order), so the gRPC
 * auto-instrumentation is not enabled (it would duplicate them).
 * Call it first in main.ts, before the HTTP server is created.
 */
export async function startTelemetry(opts: StartTelemetryOptions): Promise<Telemetry> {
  if (!isTelemetryConfigured(process.env)) {
    ensureTracePropagation();
    return { shutdown: async () => undefined };
  }
  // Loaded only when enabled: the SDK and its exporters are heavy.
  const { startNodeSdk } = await import('./node-sdk.js');
  const sdk = startNodeSdk(opts.serviceName);
  ensureTracePropagation();
  let stopped: Promise<void> | undefined;
  return { shutdown: () => (stopped ??= sdk.shutdown()) };
}
