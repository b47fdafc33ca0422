import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '@confide/platform';
import type { LifecyclePort } from '../../ports/lifecycle.port';
import type { StoragePort } from '../../ports/storage.port';
import { respondWithError, sendError } from './http-errors';
import { meetingsRoutes } from './meetings.routes';
import { abortOnClose, requestId, requireTenant } from './request-context';

export const DEFAULT_JSON_BODY_LIMIT = '16kb';

export interface GatewayAppDeps {
  storage: StoragePort;
  lifecycle: LifecyclePort;
  logger: Logger;
  /** Largest accepted JSON body (express/body-parser syntax); default 16kb. */
  jsonBodyLimit?: string | number;
  /** Request id generator when the caller sends none; default crypto.randomUUID. */
  newRequestId?: () => string;
}

/**
 * The public REST API.
 * - GET /healthz: liveness (the process serves HTTP), never depends on peers.
 * - GET /readyz: readiness, 200 when storage and lifecycle answer grpc.health.v1 SERVING, else 503.
 * - /api/meetings...: tenant from X-Confide-Tenant (temporary), JSON errors in one shape.
 */
export function createGatewayApp(deps: GatewayAppDeps): Express {
  const { logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestId(deps.newRequestId));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        {
          requestId: res.locals.requestId,
          method: req.method,
          route: req.route ? `${req.baseUrl}${String(req.route.path)}` : undefined,
          status: res.statusCode,
          durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
        },
        'request completed',
      );
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const [storage, lifecycle] = await Promise.all([
      deps.storage.ready().catch(() => false),
      deps.lifecycle.ready().catch(() => false),
    ]);
    const checks = { storage: storage ? 'serving' : 'not_serving', lifecycle: lifecycle ? 'serving' : 'not_serving' };
    res.status(storage && lifecycle ? 200 : 503).json({ status: storage && lifecycle ? 'ready' : 'not_ready', checks });
  });

  const api = express.Router();
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  api.use(requireTenant);
  api.use(abortOnClose);
  api.use(express.json({ limit: deps.jsonBodyLimit ?? DEFAULT_JSON_BODY_LIMIT }));
  api.use('/meetings', meetingsRoutes({ storage: deps.storage, lifecycle: deps.lifecycle }));
  app.use('/api', api);

  app.use((_req: Request, res: Response) => {
    sendError(res, 404, 'not_found', 'no such route');
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    respondWithError(res, err, logger);
  });
  return app;
}
