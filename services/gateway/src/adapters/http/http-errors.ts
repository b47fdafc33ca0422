import type { Response } from 'express';
import { AppError, errorSummary, type ErrorKind, type Logger } from '@confide/platform';
import { AccessDeniedError } from './access-denied.error';

/** The one error shape of the API: `{ "error": { "code", "message", "requestId" } }`. */
export interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

interface HttpMapping {
  status: number;
  code: string;
  /** Fixed message instead of the error's (the error's may name hosts or internals). */
  message?: string;
}

const KIND_TO_HTTP: Record<ErrorKind, HttpMapping> = {
  'invalid-argument': { status: 400, code: 'invalid_argument' },
  unauthenticated: { status: 401, code: 'unauthenticated' },
  'permission-denied': { status: 403, code: 'permission_denied' },
  'not-found': { status: 404, code: 'not_found' },
  'already-exists': { status: 409, code: 'already_exists' },
  'failed-precondition': { status: 409, code: 'failed_precondition' },
  'resource-exhausted': { status: 429, code: 'resource_exhausted', message: 'too many requests; retry later' },
  unavailable: { status: 503, code: 'unavailable', message: 'a service the gateway depends on is unavailable; retry later' },
  'deadline-exceeded': { status: 504, code: 'deadline_exceeded', message: 'a service the gateway depends on did not answer in time' },
  cancelled: { status: 503, code: 'unavailable', message: 'the request was cancelled' },
};

export const INTERNAL_MESSAGE = 'internal error';
/** The one answer to a refused decision: no reasons, nothing about the resource. */
export const FORBIDDEN_MESSAGE = 'the request is not permitted';

export function sendError(res: Response, status: number, code: string, message: string): void {
  const body: ErrorBody = { error: { code, message, requestId: String(res.locals.requestId ?? '') } };
  res.status(status).json(body);
}

/** Errors from express' JSON body parser (http-errors with a `type`). */
interface BodyParserError {
  type?: string;
  status?: number;
}

function bodyParserMapping(err: unknown): HttpMapping | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { type, status } = err as BodyParserError;
  if (type === 'entity.too.large') return { status: 413, code: 'payload_too_large', message: 'the request body is too large' };
  if (type === 'entity.parse.failed') return { status: 400, code: 'invalid_json', message: 'the request body is not valid JSON' };
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return { status: 415, code: 'unsupported_media_type', message: 'the request body encoding is not supported' };
  }
  if (typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500) {
    return { status, code: 'bad_request', message: 'the request body could not be read' };
  }
  return undefined;
}

/**
 * Sends the error response for `err`: AppError kinds by KIND_TO_HTTP; body parser errors
 * as 400/413/415; anything else is logged once (name and stack, no payload) and answered
 * 500 "internal error" without details.
 */
export function respondWithError(res: Response, err: unknown, logger: Logger): void {
  if (res.headersSent) return;
  const parser = bodyParserMapping(err);
  if (parser) {
    sendError(res, parser.status, parser.code, parser.message ?? '');
    return;
  }
  if (err instanceof AccessDeniedError) {
    sendError(res, 403, 'forbidden', FORBIDDEN_MESSAGE);
    return;
  }
  if (err instanceof AppError) {
    const mapping = KIND_TO_HTTP[err.kind];
    sendError(res, mapping.status, mapping.code, mapping.message ?? err.message);
    return;
  }
  logger.error({ requestId: res.locals.requestId, err: errorSummary(err) }, 'unhandled error in request');
  sendError(res, 500, 'internal', INTERNAL_MESSAGE);
}
