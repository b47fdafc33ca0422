import { AppError } from '../errors/app-error';

/**
 * The KMS could not be reached or could not answer (network error, timeout, sealed, 5xx,
 * rate limited). Retryable: the caller writes nothing and retries later (fail-closed).
 */
export class KmsUnavailableError extends AppError {
  readonly retryable = true;
  constructor(message: string) {
    super('unavailable', message);
  }
}

/** The key does not exist (never created, or destroyed: see `KeyDestroyedError`). Final. */
export class KeyNotFoundError extends AppError {
  readonly retryable: boolean = false;
  constructor(
    readonly keyName: string,
    message = `key ${keyName} not found`,
  ) {
    super('not-found', message);
  }
}

/**
 * The key existed and was destroyed: everything wrapped under it is unrecoverable
 * (crypto-shredding). Final. A subclass of `KeyNotFoundError`, so callers that only care that
 * the key is gone catch both.
 */
export class KeyDestroyedError extends KeyNotFoundError {
  constructor(keyName: string) {
    super(keyName, `key ${keyName} was destroyed`);
  }
}

/**
 * A wrapped data key does not unwrap under this key (another key's, altered, malformed, or
 * another context). Final. The message never carries the wrapped value.
 */
export class WrappedKeyInvalidError extends AppError {
  readonly retryable = false;
  constructor(
    readonly keyName: string,
    reason = 'does not unwrap under this key',
  ) {
    super('failed-precondition', `wrapped data key for ${keyName}: ${reason}`);
  }
}

/**
 * The KMS refused the request for a reason retrying will not fix: permission denied, a key of
 * the wrong type for the operation, an invalid name. Final.
 */
export class KmsRequestError extends AppError {
  readonly retryable = false;
  constructor(message: string, kind: 'failed-precondition' | 'permission-denied' | 'invalid-argument' = 'failed-precondition') {
    super(kind, message);
  }
}

/** True for errors worth retrying (only `KmsUnavailableError`). */
export const isRetryableKmsError = (err: unknown): boolean => err instanceof KmsUnavailableError;
