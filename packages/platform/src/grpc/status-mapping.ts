import * as grpc from '@grpc/grpc-js';
import { AppError, type ErrorKind } from '../errors/app-error';
import type { Logger } from '../logging/logger';
import { errorSummary } from '../runtime/shutdown';

const KIND_TO_STATUS: Record<ErrorKind, grpc.status> = {
  'invalid-argument': grpc.status.INVALID_ARGUMENT,
  'failed-precondition': grpc.status.FAILED_PRECONDITION,
  'not-found': grpc.status.NOT_FOUND,
  'already-exists': grpc.status.ALREADY_EXISTS,
  'permission-denied': grpc.status.PERMISSION_DENIED,
  unauthenticated: grpc.status.UNAUTHENTICATED,
  'resource-exhausted': grpc.status.RESOURCE_EXHAUSTED,
  unavailable: grpc.status.UNAVAILABLE,
  'deadline-exceeded': grpc.status.DEADLINE_EXCEEDED,
  cancelled: grpc.status.CANCELLED,
};

const STATUS_TO_KIND: Partial<Record<grpc.status, ErrorKind>> = {
  [grpc.status.INVALID_ARGUMENT]: 'invalid-argument',
  [grpc.status.OUT_OF_RANGE]: 'invalid-argument',
  [grpc.status.FAILED_PRECONDITION]: 'failed-precondition',
  [grpc.status.NOT_FOUND]: 'not-found',
  [grpc.status.ALREADY_EXISTS]: 'already-exists',
  [grpc.status.PERMISSION_DENIED]: 'permission-denied',
  [grpc.status.UNAUTHENTICATED]: 'unauthenticated',
  [grpc.status.RESOURCE_EXHAUSTED]: 'resource-exhausted',
  [grpc.status.UNAVAILABLE]: 'unavailable',
  [grpc.status.ABORTED]: 'unavailable',
  [grpc.status.DEADLINE_EXCEEDED]: 'deadline-exceeded',
  [grpc.status.CANCELLED]: 'cancelled',
};

export const INTERNAL_ERROR_MESSAGE = 'internal error';

/** The gRPC status code of an AppError kind. */
export function statusForKind(kind: ErrorKind): grpc.status {
  return KIND_TO_STATUS[kind];
}

/** Builds a grpc.ServiceError (an Error with code, details and metadata). */
export function serviceError(code: grpc.status, details: string, metadata: grpc.Metadata = new grpc.Metadata()): grpc.ServiceError {
  const err = new Error(`${code} ${grpc.status[code]}: ${details}`) as grpc.ServiceError;
  err.code = code;
  err.details = details;
  err.metadata = metadata;
  return err;
}

/**
 * Maps an error raised by a handler to a gRPC status: AppError kinds map to their codes with
 * the error's message; anything else is logged once (name + stack, no payloads) and becomes
 * INTERNAL "internal error".
 */
export function toServiceError(err: unknown, logger: Logger): grpc.ServiceError {
  if (err instanceof AppError && err.kind in KIND_TO_STATUS) {
    return serviceError(KIND_TO_STATUS[err.kind], err.message);
  }
  logger.error({ err: errorSummary(err) }, 'unhandled error in gRPC handler');
  return serviceError(grpc.status.INTERNAL, INTERNAL_ERROR_MESSAGE);
}

/**
 * The inverse mapping for callers: NOT_FOUND -> not-found, ... Codes without a kind
 * (UNKNOWN, INTERNAL, UNIMPLEMENTED, DATA_LOSS) become 'unavailable' ("upstream error").
 * The original error is kept as `cause`.
 */
export function grpcStatusToAppError(err: grpc.ServiceError): AppError {
  const kind = STATUS_TO_KIND[err.code as grpc.status];
  const details = err.details || err.message;
  const appError = kind ? new AppError(kind, details) : new AppError('unavailable', `upstream error (${grpc.status[err.code] ?? err.code}): ${details}`);
  appError.cause = err;
  return appError;
}

/** True for objects that look like a grpc.ServiceError (numeric `code`). */
export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}
