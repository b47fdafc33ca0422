import * as grpc from '@grpc/grpc-js';
import { isCallerChecked, markCallerChecked } from './caller-check';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from '../logging/logger';
import { extractTraceContext } from '../telemetry/trace-context';
import { serviceError, toServiceError } from './status-mapping';

export interface UnaryContext {
  metadata: grpc.Metadata;
  /** Aborted when the client cancels the call or its deadline passes. */
  signal: AbortSignal;
}

const TRACER_NAME = '@confide/platform/grpc';

/** Splits "/pkg.Service/Method" into its parts. */
export function splitGrpcPath(path: string): { service: string; method: string } {
  const [, service = '', method = ''] = path.split('/');
  return { service, method };
}

/** Text metadata values as a header record (binary and repeated values ignored). */
export function metadataToHeaders(metadata: grpc.Metadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string') headers[key] = value;
  }
  return headers;
}

/**
 * Adapts a promise-returning use case to a grpc-js unary handler: runs it in the trace
 * context carried by the metadata (in a SERVER span), aborts `signal` when the call is
 * cancelled or its deadline passes, and maps errors with toServiceError.
 */
export function unaryHandler<Req, Res>(
  logger: Logger,
  fn: (req: Req, ctx: UnaryContext) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  const handler: grpc.handleUnaryCall<Req, Res> = (call, callback) => {
    const controller = new AbortController();
    const onCancelled = (): void => controller.abort(serviceError(grpc.status.CANCELLED, 'call cancelled by the client'));
    call.on('cancelled', onCancelled);
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
    let deadlineTimer: NodeJS.Timeout | undefined;
    if (Number.isFinite(deadlineMs)) {
      deadlineTimer = setTimeout(
        () => controller.abort(serviceError(grpc.status.DEADLINE_EXCEEDED, 'deadline exceeded')),
        Math.max(0, deadlineMs - Date.now()),
      );
      deadlineTimer.unref();
    }
    const path = call.getPath();
    const { service, method } = splitGrpcPath(path);
    const parent = trace.getSpan(context.active()) ? context.active() : extractTraceContext(metadataToHeaders(call.metadata));
    const span = trace.getTracer(TRACER_NAME).startSpan(
      `${service}/${method}`,
      { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } },
      parent,
    );
    const finish = (code: grpc.status): void => {
      if (deadlineTimer) clearTimeout(deadlineTimer);
      call.removeListener('cancelled', onCancelled);
      span.setAttribute('rpc.grpc.status_code', code);
      if (code !== grpc.status.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: grpc.status[code] });
      span.end();
    };
    context
      .with(trace.setSpan(parent, span), () => fn(call.request, { metadata: call.metadata, signal: controller.signal }))
      .then(
        (res) => {
          finish(grpc.status.OK);
          callback(null, res);
        },
        (err: unknown) => {
          const mapped = toServiceError(err, logger);
          finish(mapped.code);
          callback(mapped);
        },
      );
  };
  // A caller check inside `fn` (authorizeRpc) makes the handler a checked one (GrpcServer.add).
  return isCallerChecked(fn) ? markCallerChecked(handler) : handler;
}
