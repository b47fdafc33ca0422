import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { AppError, InMemoryGrantStore, LoggingDecisionAuditor, systemClock, type Logger } from '@confide/platform';
import type { Authenticator, Clock, DecisionAuditor, GrantStore, PolicyDecider, SubjectAssertionSigner } from '../../ports/access.port';
import type { LifecyclePort } from '../../ports/lifecycle.port';
import type { LifecycleRecordsPort } from '../../ports/lifecycle-records.port';
import type { TenantKeysPort } from '../../ports/tenant-keys.port';
import type { ProcessingPort } from '../../ports/processing.port';
import type { StoragePort } from '../../ports/storage.port';
import { authenticate, type AccessControl } from './access-control';
import { respondWithError, sendError } from './http-errors';
import { accessGrantsRoutes, auditRoutes, certificatesRoutes, signingKeysRoutes } from './lifecycle-records.routes';
import { certificateKeysRoute } from './certificate-keys.route';
import { auditEntriesRoute, tenantRoutes, usersRoutes } from './erasure.routes';
import { processingRoutes } from './processing.routes';
import { tenantKeysRoutes } from './tenant-keys.routes';
import { meetingsRoutes } from './meetings.routes';
import { abortOnClose, requestId } from './request-context';

export const DEFAULT_JSON_BODY_LIMIT = '16kb';

export interface GatewayAppDeps {
  storage: StoragePort;
  lifecycle: LifecyclePort;
  /**
   * Grants, audit export, certificates and signing keys (lifecycle's AccessGrantService,
   * AuditService, CertificateService). Without it those routes are not served (404).
   */
  records?: LifecycleRecordsPort;
  /**
   * Tenant-key rotation and status (storage's KeyRegistryService). Without it
   * /api/tenant/keys is not served (404).
   */
  tenantKeys?: TenantKeysPort;
  /**
   * Transcription's engine and insights' rules (GET /api/tenant/processing). Without it the
   * route is not served (404).
   */
  processing?: ProcessingPort;
  logger: Logger;
  /** Largest accepted JSON body (express/body-parser syntax); default 16kb. */
  jsonBodyLimit?: string | number;
  /** Request id generator when the caller sends none; default crypto.randomUUID. */
  newRequestId?: () => string;
  /** Bearer JWT verification (platform OidcVerifier). Every /api route requires a valid token. */
  authenticator: Authenticator;
  /** The policy (platform PolicyEvaluator), decided per route. */
  evaluator: PolicyDecider;
  /** Where decisions with the `audit` obligation go; default a LoggingDecisionAuditor. */
  auditor?: DecisionAuditor;
  /** Staff grants (context.grants); default an empty InMemoryGrantStore (staff see nothing). */
  grants?: GrantStore;
  /** context.now; default the system clock. */
  clock?: Clock;
  /** Signs the `x-confide-subject` assertion passed to storage/lifecycle in CallContext. */
  assertionSigner?: SubjectAssertionSigner;
}

function accessControl(deps: GatewayAppDeps): AccessControl {
  // Guards compositions that bypass the types: there is no unauthenticated mode.
  if (!deps.authenticator || !deps.evaluator) {
    throw new AppError('invalid-argument', 'createGatewayApp needs an authenticator and an evaluator');
  }
  return {
    evaluator: deps.evaluator,
    auditor: deps.auditor ?? new LoggingDecisionAuditor(deps.logger.child({ component: 'access-audit' })),
    grants: deps.grants ?? new InMemoryGrantStore(),
    clock: deps.clock ?? systemClock,
  };
}

/**
 * The public REST API.
 * - GET /healthz: liveness (the process serves HTTP), never depends on peers.
 * - GET /readyz: readiness, 200 when storage and lifecycle answer grpc.health.v1 SERVING, else 503.
 * - GET /.well-known/confide/certificate-keys: the public certificate keys (unauthenticated, cached).
 * - /api/meetings (+ POST /:id/restore), /api/users/:id/data, /api/tenant/{data,retention},
 *   GET /api/tenant/keys, POST /api/tenant/keys/rotate, GET /api/tenant/processing,
 *   /api/access-grants, /api/audit, /api/audit/export, /api/certificates/:id,
 *   /api/signing-keys (alias of the well-known keys, authenticated): Bearer JWT (401 + WWW-Authenticate), then the policy per route (403
 *   `forbidden`), tenant from the token; JSON errors in one shape. Legacy header mode
 *   without an authenticator (see GatewayAppDeps).
 */
export function createGatewayApp(deps: GatewayAppDeps): Express {
  const { logger } = deps;
  const access = accessControl(deps);
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
          subjectId: res.locals.subject?.id as string | undefined,
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

  if (deps.records) {
    app.use(certificateKeysRoute({ records: deps.records, ...(deps.assertionSigner ? { signer: deps.assertionSigner } : {}) }));
  }

  const api = express.Router();
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  api.use(authenticate(deps.authenticator, deps.assertionSigner));
  api.use(abortOnClose);
  api.use(express.json({ limit: deps.jsonBodyLimit ?? DEFAULT_JSON_BODY_LIMIT }));
  api.use('/meetings', meetingsRoutes({ storage: deps.storage, lifecycle: deps.lifecycle, access, ...(deps.records ? { records: deps.records } : {}) }));
  api.use('/users', usersRoutes({ lifecycle: deps.lifecycle, access }));
  if (deps.tenantKeys) api.use('/tenant/keys', tenantKeysRoutes({ keys: deps.tenantKeys, access }));
  if (deps.processing) api.use('/tenant/processing', processingRoutes({ processing: deps.processing, access }));
  api.use('/tenant', tenantRoutes({ lifecycle: deps.lifecycle, access }));
  if (deps.records) {
    const records = { records: deps.records, access };
    api.use('/access-grants', accessGrantsRoutes(records));
    api.use('/audit', auditEntriesRoute(records));
    api.use('/audit', auditRoutes(records));
    api.use('/certificates', certificatesRoutes(records));
    api.use('/signing-keys', signingKeysRoutes(records));
  }
  app.use('/api', api);

  app.use((_req: Request, res: Response) => {
    sendError(res, 404, 'not_found', 'no such route');
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    respondWithError(res, err, logger);
  });
  return app;
}
