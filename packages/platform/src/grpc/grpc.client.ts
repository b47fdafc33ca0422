import * as grpc from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AppError } from '../errors/app-error';
import { injectTraceHeaders } from '../telemetry/trace-context';
import { grpcClientCredentials } from '../tls/grpc.credentials';
import { serviceError } from './status-mapping';
import { splitGrpcPath } from './unary.handler';

export const DEFAULT_DEADLINE_MS = 5000;
const TRACER_NAME = '@confide/platform/grpc';

export interface CreateGrpcClientOptions {
  /**
   * Channel credentials, e.g. `grpcClientCredentials(address, tls)`. Default: plaintext, which
   * is only allowed to a loopback (or unix socket) target: another host throws 'failed-precondition'.
   */
  credentials?: grpc.ChannelCredentials;
  channelOptions?: Partial<grpc.ClientOptions>;
}

/** Creates a ts-proto / grpc-js client for `address` ("host:port"); plaintext only to loopback. */
export function createGrpcClient<C extends grpc.Client>(
  Ctor: new (address: string, creds: grpc.ChannelCredentials, options?: Partial<grpc.ClientOptions>) => C,
  address: string,
  opts: CreateGrpcClientOptions = {},
): C {
  return new Ctor(address, opts.credentials ?? grpcClientCredentials(address, undefined), opts.channelOptions);
}

export interface CallUnaryOptions {
  /** Deadline from now; default 5000 ms. */
  deadlineMs?: number;
  /** Cancels the call (rejects with CANCELLED) when aborted. */
  signal?: AbortSignal;
  metadata?: grpc.Metadata;
}

type UnaryMethod = ((
  request: unknown,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (err: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall) & { path?: string };

/**
 * Calls a unary method of a callback-style grpc-js/ts-proto client as a promise, with a
 * deadline, W3C trace context injected into the metadata (in a CLIENT span), and
 * cancellation when `signal` aborts. Rejections are grpc.ServiceError (with `.code`).
 */
export function callUnary<Req, Res>(client: grpc.Client, method: string, request: Req, opts: CallUnaryOptions = {}): Promise<Res> {
  const fn = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
  if (typeof fn !== 'function') return Promise.reject(new AppError('invalid-argument', `client has no method ${method}`));
  if (opts.signal?.aborted) return Promise.reject(serviceError(grpc.status.CANCELLED, 'call cancelled before it started'));
  const { service, method: rpcMethod } = fn.path ? splitGrpcPath(fn.path) : { service: client.constructor.name, method };
  const span = trace.getTracer(TRACER_NAME).startSpan(`${service}/${rpcMethod}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': rpcMethod },
  });
  const ctx = trace.setSpan(context.active(), span);
  const metadata = opts.metadata ? opts.metadata.clone() : new grpc.Metadata();
  for (const [k, v] of Object.entries(injectTraceHeaders({}, ctx))) metadata.set(k, v);
  const deadline = Date.now() + (opts.deadlineMs ?? DEFAULT_DEADLINE_MS);

  return new Promise<Res>((resolve, reject) => {
    let onAbort: (() => void) | undefined;
    let call: grpc.ClientUnaryCall;
    try {
      call = context.with(ctx, () =>
        fn.call(client, request, metadata, { deadline }, (err, response) => {
          if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
          const code = err ? err.code : grpc.status.OK;
          span.setAttribute('rpc.grpc.status_code', code);
          if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: grpc.status[code] });
          span.end();
          if (err) reject(err);
          else resolve(response as Res);
        }),
      );
    } catch (err) {
      // e.g. "Channel has been shut down": surface it as a ServiceError like any other failure.
      const details = err instanceof Error ? err.message : 'call failed to start';
      span.setAttribute('rpc.grpc.status_code', grpc.status.UNAVAILABLE);
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'UNAVAILABLE' });
      span.end();
      reject(serviceError(grpc.status.UNAVAILABLE, details));
      return;
    }
    if (opts.signal) {
      onAbort = () => call.cancel();
      opts.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
