import {
  AuditDecision as ProtoAuditDecision,
  AuditOutcome as ProtoAuditOutcome,
  AuditServiceService,
  type ListAuditEventsRequest,
  type ListAuditEventsResponse,
  type AuditServiceServer,
  type ExportAuditLogRequest,
  type ExportAuditLogResponse,
  type GetAuditHeadRequest,
  type GetAuditHeadResponse,
} from '@confide/contracts';
import {
  AppError,
  authorizeRpc,
  toServiceError,
  type GrpcServiceRegistration,
  type Logger,
  type RpcAuthorizationDeps,
  markCallerChecked,
  refuseEveryCaller,
} from '@confide/platform';
import type * as grpc from '@grpc/grpc-js';
import { requireId } from '../../domain/staff-grant';
import type { AuditEventStore } from '../../ports/audit-event-store.port';
import type { ExportAuditLog } from '../../use-cases/export-audit-log.use-case';
import { guardedUnary } from './rpc-guard';

export const AUDIT_SERVICE_NAME = 'confide.lifecycle.v1.AuditService';

/** Lines per ExportAuditLogResponse message, and the most characters in one. */
const MAX_LINES_PER_MESSAGE = 500;
const MAX_CHARS_PER_MESSAGE = 512 * 1024;

export interface AuditGrpcDeps {
  logger: Logger;
  store: AuditEventStore;
  exporter: ExportAuditLog;
  /** As LifecycleService: without it every RPC is refused (UNAUTHENTICATED). */
  authorization?: RpcAuthorizationDeps;
}

const tenantResource = (tenantId: string) => ({ tenant: tenantId, kind: 'audit-log' });

/** Page size of ListAuditEvents: default and largest. */
export const DEFAULT_AUDIT_PAGE_SIZE = 100;
export const MAX_AUDIT_PAGE_SIZE = 500;

const OUTCOMES: Record<string, ProtoAuditOutcome> = {
  success: ProtoAuditOutcome.AUDIT_OUTCOME_SUCCESS,
  'not-found': ProtoAuditOutcome.AUDIT_OUTCOME_NOT_FOUND,
  failure: ProtoAuditOutcome.AUDIT_OUTCOME_FAILURE,
};

/**
 * confide.lifecycle.v1.AuditService: the tenant's hash-chained audit log, exported as JSON
 * Lines (`audit:export`, MFA) and its head (`audit:read`); owners, admins and auditors of the
 * tenant (policies/authz). The export holds ids and decisions only, never content.
 */
export function auditGrpcService(deps: AuditGrpcDeps): GrpcServiceRegistration {
  const { logger, authorization } = deps;
  const authorizeExport = authorization
    ? authorizeRpc<ExportAuditLogRequest, string>(
        authorization,
        { method: `${AUDIT_SERVICE_NAME}/ExportAuditLog`, user: { action: 'audit:export', resource: (req) => tenantResource(req.tenantId) } },
        async (req) => requireId('tenant_id', req.tenantId),
      )
    : refuseEveryCaller<ExportAuditLogRequest, string>();

  // Decides its caller (authorizeExport) before the first line is read.
  const exportAuditLog: grpc.handleServerStreamingCall<ExportAuditLogRequest, ExportAuditLogResponse> = markCallerChecked((call) => {
    const controller = new AbortController();
    const onCancelled = (): void => controller.abort();
    call.on('cancelled', onCancelled);
    const write = (message: ExportAuditLogResponse): Promise<void> =>
      new Promise((resolve) => {
        if (call.write(message)) resolve();
        else call.once('drain', () => resolve());
      });
    void (async () => {
      const tenantId = await authorizeExport(call.request, { metadata: call.metadata, signal: controller.signal });
      let lines: string[] = [];
      let chars = 0;
      for await (const line of deps.exporter.lines(tenantId)) {
        if (controller.signal.aborted) return;
        lines.push(line);
        chars += line.length;
        if (lines.length >= MAX_LINES_PER_MESSAGE || chars >= MAX_CHARS_PER_MESSAGE) {
          await write({ lines });
          lines = [];
          chars = 0;
        }
      }
      if (lines.length > 0) await write({ lines });
      call.end();
    })()
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        call.emit('error', toServiceError(err, logger));
      })
      .finally(() => call.removeListener('cancelled', onCancelled));
  });

  const implementation: AuditServiceServer = {
    exportAuditLog,
    listAuditEvents: guardedUnary<ListAuditEventsRequest, ListAuditEventsResponse>(
      logger,
      authorization,
      { method: `${AUDIT_SERVICE_NAME}/ListAuditEvents`, user: { action: 'audit:read', resource: (req) => tenantResource(req.tenantId) } },
      async (req) => {
        const tenantId = requireId('tenant_id', req.tenantId);
        if (req.pageSize > MAX_AUDIT_PAGE_SIZE) throw new AppError('invalid-argument', `page_size must be at most ${MAX_AUDIT_PAGE_SIZE}`);
        const size = req.pageSize || DEFAULT_AUDIT_PAGE_SIZE;
        // One more than the page tells whether another page follows.
        const events = await deps.store.eventsAfter(tenantId, req.afterSeq, size + 1);
        const page = events.slice(0, size);
        return {
          events: page.map((e) => ({
            seq: e.seq,
            occurredAtUnixMs: e.occurredAtMs,
            actor: e.actor,
            action: e.action,
            resource: e.resource,
            decision: e.decision === 'deny' ? ProtoAuditDecision.AUDIT_DECISION_DENY : ProtoAuditDecision.AUDIT_DECISION_ALLOW,
            outcome: OUTCOMES[e.outcome] ?? ProtoAuditOutcome.AUDIT_OUTCOME_UNSPECIFIED,
            obligations: [...e.obligations],
            prevHash: e.prevHash,
            hash: e.hash,
          })),
          nextAfterSeq: events.length > size ? (page[page.length - 1]?.seq ?? 0) : 0,
        };
      },
    ),
    getAuditHead: guardedUnary<GetAuditHeadRequest, GetAuditHeadResponse>(
      logger,
      authorization,
      { method: `${AUDIT_SERVICE_NAME}/GetAuditHead`, user: { action: 'audit:read', resource: (req) => tenantResource(req.tenantId) } },
      async (req) => {
        const tenantId = requireId('tenant_id', req.tenantId);
        const [head, latest] = await Promise.all([deps.store.head(tenantId), deps.store.latestCheckpoint(tenantId)]);
        return {
          seq: head?.seq ?? 0,
          headHash: head?.hash ?? '',
          latestCheckpoint: latest
            ? {
                tenantId: latest.tenantId,
                seq: latest.seq,
                headHash: latest.headHash,
                signedAtUnixMs: latest.signedAtMs,
                keyVersion: latest.keyVersion,
                signature: latest.signature,
              }
            : undefined,
        };
      },
    ),
  };
  return { name: AUDIT_SERVICE_NAME, definition: AuditServiceService, implementation };
}
