import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { REQUEST_ID_PATTERN } from '../../domain/api-input';
import type { CallContext } from '../../ports/storage.port';

export const REQUEST_ID_HEADER = 'X-Request-Id';

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

/** Aborts when the HTTP client goes away before the response was sent, cancelling downstream calls. */
export const abortOnClose: RequestHandler = (_req, res, next) => {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  res.locals.signal = controller.signal;
  next();
};

export function callContext(res: Response): CallContext {
  const assertion = res.locals.subjectAssertion as string | undefined;
  return {
    signal: res.locals.signal as AbortSignal,
    requestId: res.locals.requestId as string,
    ...(assertion ? { subjectAssertion: assertion } : {}),
  };
}
