import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const TRACER_NAME = '@confide/platform';

let registered = false;

/**
 * Registers the W3C trace-context propagator and an AsyncLocalStorage context manager
 * globally unless something (e.g. the OpenTelemetry SDK) registered them already. Called by
 * startTelemetry and lazily by inject/extract, so trace context flows even with the SDK off.
 */
export function ensureTracePropagation(): void {
  if (registered) return;
  registered = true;
  // Both return false (and leave the existing one) when already registered.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const manager = new AsyncLocalStorageContextManager();
  if (!context.setGlobalContextManager(manager.enable())) manager.disable();
}

/** Returns a copy of `headers` with `traceparent`/`tracestate` of the active (or given) context. */
export function injectTraceHeaders(headers: Record<string, string>, ctx: Context = context.active()): Record<string, string> {
  ensureTracePropagation();
  const out: Record<string, string> = { ...headers };
  propagation.inject(ctx, out);
  return out;
}

/** The context carried by `traceparent`/`tracestate` headers (ROOT_CONTEXT-based). */
export function extractTraceContext(headers: Record<string, string>): Context {
  ensureTracePropagation();
  return propagation.extract(ROOT_CONTEXT, headers);
}

/**
 * Runs `fn` in a new active span (child of `parent`, default the active context). The span
 * records the error's name only. Never put content (text, audio, keys, emails) in `attrs`.
 */
export async function withSpan<T>(
  name: string,
  attrs: Attributes,
  fn: () => Promise<T>,
  parent?: Context,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  ensureTracePropagation();
  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(name, { attributes: attrs, kind }, parent ?? context.active(), async (span) => {
    try {
      return await fn();
    } catch (err) {
      const errName = err instanceof Error ? err.name : typeof err;
      span.setAttribute('error.type', errName);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errName });
      throw err;
    } finally {
      span.end();
    }
  });
}

export { SpanKind };
