/**
 * "Every RPC decides its caller" by construction: a handler that checks its caller carries this
 * mark (authorizeRpc sets it, unaryHandler passes it on; a handler that decides another way — a
 * streaming call that authorizes inside, ingest's bearer-token stream — marks itself with
 * `markCallerChecked`), and `GrpcServer.add` refuses a service with an unmarked handler. A new
 * RPC that forgets its check therefore stops the service from starting instead of answering
 * anyone (policies/README.md, "Services"; docs/adr/0009-identity.md).
 */
const CALLER_CHECKED = Symbol.for('confide.grpc.callerChecked');

/** Marks `handler` as deciding its caller before it serves anything; returns it. */
export function markCallerChecked<T extends object>(handler: T): T {
  Object.defineProperty(handler, CALLER_CHECKED, { value: true, enumerable: false });
  return handler;
}

/** Whether `handler` carries the mark. */
export function isCallerChecked(handler: unknown): boolean {
  return (typeof handler === 'function' || (typeof handler === 'object' && handler !== null)) && (handler as Record<symbol, unknown>)[CALLER_CHECKED] === true;
}
