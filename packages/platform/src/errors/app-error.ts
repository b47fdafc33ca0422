/**
 * Errors that cross a boundary carry a kind; adapters map kinds to protocol codes
 * (gRPC status in adapters/grpc, HTTP status in the gateway). Anything that is not an
 * AppError is internal: logged once and surfaced without its message.
 */
export type ErrorKind =
  | 'invalid-argument'
  | 'failed-precondition'
  | 'not-found'
  | 'already-exists'
  | 'permission-denied'
  | 'unauthenticated'
  | 'resource-exhausted'
  | 'unavailable'
  | 'deadline-exceeded'
  | 'cancelled';

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export const invalidArgument = (message: string): AppError => new AppError('invalid-argument', message);
export const failedPrecondition = (message: string): AppError => new AppError('failed-precondition', message);
export const notFound = (message: string): AppError => new AppError('not-found', message);
export const alreadyExists = (message: string): AppError => new AppError('already-exists', message);
export const permissionDenied = (message: string): AppError => new AppError('permission-denied', message);
export const unauthenticated = (message: string): AppError => new AppError('unauthenticated', message);
export const resourceExhausted = (message: string): AppError => new AppError('resource-exhausted', message);
export const unavailable = (message: string): AppError => new AppError('unavailable', message);
export const deadlineExceeded = (message: string): AppError => new AppError('deadline-exceeded', message);
export const cancelled = (message: string): AppError => new AppError('cancelled', message);

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;
