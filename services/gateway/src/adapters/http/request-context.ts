import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isWellFormedId, REQUEST_ID_PATTERN } from '../../domain/api-input';
import type { CallContext } from '../../ports/storage.port';
import { sendError } from './http-errors';

export const REQUEST_ID_HEADER = 'X-Request-Id';
/**
 * LEGACY (only when createGatewayApp gets no authenticator): the tenant is whatever this
 * header says, which is why the gateway listens on loopback only. With authentication the
 * same header only names the target tenant of a staff member (access-control.ts).
 */
export const TENANT_HEADER = 'X-Confide-Tenant';

/** Echoes a plain X-Request-Id or generates one; sets it on the response. */
export function requestId(newId: () => string = randomUUID): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const id = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : newId();
    res.locals.requestId = id;
    res.set(REQUEST_ID_HEADER, id);
    next();
  };
}

/** Requires a well-formed X-Confide-Tenant header (400 otherwise) and stores it for the routes. */
export const requireTenant: RequestHandler = (req, res, next) => {
  const tenant = req.get(TENANT_HEADER);
  if (tenant === undefined || tenant === '') {
    sendError(res, 400, 'invalid_argument', `the ${TENANT_HEADER} header is required`);
    return;
  }
  if (!isWellFormedId(tenant)) {
    sendError(res, 400, 'invalid_argument', `the ${TENANT_HEADER} header must be 1-128 characters of [A-Za-z0-9._:-]`);
    return;
  }
  res.locals.tenantId = tenant;
  next();
};

/** Aborts when the HTTP client goes away before the response was sent, cancelling downstream calls. */
export const abortOnClose: RequestHandler = (_req, res, next) => {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  res.locals.signal = controller.signal;
  next();
};

export function tenantOf(res: Response): string {
  return res.locals.tenantId as string;
}

export function callContext(res: Response): CallContext {
  const assertion = res.locals.subjectAssertion as string | undefined;
  return {
    signal: res.locals.signal as AbortSignal,
    requestId: res.locals.requestId as string,
    ...(assertion ? { subjectAssertion: assertion } : {}),
  };
}
