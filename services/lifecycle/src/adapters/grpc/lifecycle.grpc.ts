import {
  LifecycleServiceService,
  RetentionAction as ProtoRetentionAction,
  type DeleteMeetingRequest,
  type DeleteMeetingResponse,
  type EraseTenantRequest,
  type EraseTenantResponse,
  type EraseUserDataRequest,
  type EraseUserDataResponse,
  type GetRetentionPolicyRequest,
  type GetRetentionPolicyResponse,
  type IssuedCertificate,
  type LifecycleServiceServer,
  type RestoreArchivedMeetingRequest,
  type RestoreArchivedMeetingResponse,
  type RetentionPolicy as ProtoRetentionPolicy,
  type SetRetentionPolicyRequest,
  type SetRetentionPolicyResponse,
} from '@confide/contracts';
import {
  AppError,
  authorizeRpc,
  unaryHandler,
  type Clock,
  type GrpcServiceRegistration,
  type Logger,
  type RpcAuthorizationDeps,
  type UserAction,
  refuseEveryCaller,
} from '@confide/platform';
import { parseRetention, type RetentionPolicy } from '../../domain/retention-policy';
import { requireId } from '../../domain/staff-grant';
import type { ErasureCertificateStore } from '../../ports/erasure-certificate-store.port';
import type { RetentionPolicyRepository } from '../../ports/retention-policy.port';
import type { DeleteMeeting } from '../../use-cases/delete-meeting.use-case';
import type { EraseTenant, EraseTenantResult } from '../../use-cases/erase-tenant.use-case';
import type { EraseUserData } from '../../use-cases/erase-user-data.use-case';
import type { RestoreArchivedMeeting } from '../../use-cases/restore-archived-meeting.use-case';
import { endUser, guardedUnary } from './rpc-guard';

export const LIFECYCLE_SERVICE_NAME = 'confide.lifecycle.v1.LifecycleService';

/**
 * End-user actions of the erasure and retention RPCs (policies/authz/actions.rego).
 * `meeting:restore` is new in the policy; platform's UserAction union does not list it yet.
 */
export const LIFECYCLE_USER_ACTIONS = {
  eraseTenant: 'tenant-data:delete',
  eraseUserData: 'user-data:delete',
  restoreMeeting: 'meeting:restore',
  getRetention: 'settings:read',
  setRetention: 'settings:write',
} as const satisfies Record<string, UserAction>;

/** How long EraseTenant waits for the physical purge after the tenant key was destroyed. */
export const DEFAULT_TENANT_PURGE_WAIT_MS = 2000;

/** The erasure and retention use cases served with persistence (lifecycle.module.ts). */
export interface LifecycleErasureHandlers {
  eraseTenant?: EraseTenant;
  eraseUserData: EraseUserData;
  restoreMeeting: RestoreArchivedMeeting;
  policies: RetentionPolicyRepository;
  certificates: Pick<ErasureCertificateStore, 'getDocument'>;
  clock: Clock;
  /** Default DEFAULT_TENANT_PURGE_WAIT_MS. */
  tenantPurgeWaitMs?: number;
}

export interface LifecycleGrpcDeps {
  logger: Logger;
  deleteMeeting: DeleteMeeting;
  /**
   * EraseTenant, EraseUserData, RestoreArchivedMeeting, Get/SetRetentionPolicy. Without it
   * (no persistence) those RPCs answer FAILED_PRECONDITION; EraseTenant also without a KMS.
   */
  erasure?: LifecycleErasureHandlers;
  /**
   * Caller authorization (ADR 0009): the `x-confide-subject` assertion is verified, the
   * caller service's `rpc:` action and the end user's action (LIFECYCLE_USER_ACTIONS,
   * `meeting:delete`) decided by the policy. Without it every RPC is refused
   * (UNAUTHENTICATED): fail closed.
   */
  authorization?: RpcAuthorizationDeps;
}

const toProtoAction = (a: RetentionPolicy['action']): ProtoRetentionAction =>
  a === 'archive' ? ProtoRetentionAction.RETENTION_ACTION_ARCHIVE : ProtoRetentionAction.RETENTION_ACTION_DELETE;

const fromProtoAction = (a: ProtoRetentionAction): string | undefined =>
  a === ProtoRetentionAction.RETENTION_ACTION_ARCHIVE ? 'archive' : a === ProtoRetentionAction.RETENTION_ACTION_DELETE ? 'delete' : a === ProtoRetentionAction.RETENTION_ACTION_UNSPECIFIED ? undefined : 'unknown';

export function toProtoRetentionPolicy(p: RetentionPolicy): ProtoRetentionPolicy {
  return { tenantId: p.tenantId, days: p.days, action: toProtoAction(p.action), isDefault: p.isDefault, updatedAtUnixMs: p.updatedAtMs ?? 0, updatedBy: p.updatedBy ?? '' };
}

const unimplemented = (): never => {
  throw new AppError('failed-precondition', 'this lifecycle has no persistence for erasures and retention');
};

/**
 * confide.lifecycle.v1.LifecycleService over the use cases. Every RPC is authorized first
 * (authorizeRpc: missing/invalid caller -> UNAUTHENTICATED, refused -> PERMISSION_DENIED
 * with a fixed message, not auditable -> UNAVAILABLE). Erasures are recorded as requested by
 * the authenticated end user (the assertion's subject), never by the request's field.
 */
export function lifecycleGrpcService(deps: LifecycleGrpcDeps): GrpcServiceRegistration {
  const { logger, authorization } = deps;
  if (!authorization) logger.warn('LifecycleService has no caller authorization configured: every RPC is refused');
  const method = (name: string): string => `${LIFECYCLE_SERVICE_NAME}/${name}`;
  const deleteMeeting = authorization
    ? authorizeRpc<DeleteMeetingRequest, DeleteMeetingResponse>(
        authorization,
        {
          method: method('DeleteMeeting'),
          user: { resource: (req) => ({ tenant: req.tenantId, meeting: req.meetingId, kind: 'meeting' }) },
        },
        async (req, ctx) => {
          const requestedBy = ctx.subject?.id ?? '';
          const result = await deps.deleteMeeting.execute({ ...req, requestedBy }, { signal: ctx.signal });
          return { meetingId: result.meetingId, erased: result.erased, erasedAtUnixMs: result.erasedAtMs };
        },
      )
    : refuseEveryCaller<DeleteMeetingRequest, DeleteMeetingResponse>();
  const erasure = deps.erasure;
  const certificateOf = async (tenantId: string, certificateId: string): Promise<IssuedCertificate | undefined> => {
    const document = certificateId && erasure ? await erasure.certificates.getDocument(tenantId, certificateId) : undefined;
    return document === undefined ? undefined : { certificateId, document };
  };
  const tenantResponse = async (r: EraseTenantResult): Promise<EraseTenantResponse> => {
    const certificate = await certificateOf(r.tenantId, r.certificateId);
    return {
      tenantId: r.tenantId,
      erasureId: r.erasureId,
      cryptoErasedAtUnixMs: r.cryptoErasedAtMs,
      purgeCompleted: true,
      purgedAtUnixMs: r.purgedAtMs,
      erased: { meetings: r.erased.meetings, segments: r.erased.segments, alerts: r.erased.alerts, reports: r.erased.reports },
      dataKeys: r.erased.data_keys,
      certificate,
    };
  };

  const implementation: LifecycleServiceServer = {
    deleteMeeting: unaryHandler<DeleteMeetingRequest, DeleteMeetingResponse>(logger, deleteMeeting),
    eraseTenant: guardedUnary<EraseTenantRequest, EraseTenantResponse>(
      logger,
      authorization,
      { method: method('EraseTenant'), user: { action: LIFECYCLE_USER_ACTIONS.eraseTenant, resource: (req) => ({ tenant: req.tenantId, kind: 'tenant' }) } },
      async (req, ctx) => {
        const handlers = erasure ?? unimplemented();
        const eraser = handlers.eraseTenant ?? unimplemented();
        const tenantId = requireId('tenant_id', req.tenantId);
        const started = await eraser.begin({ tenantId, requestedBy: endUser(ctx).id, reason: req.reason });
        // The tenant key is destroyed now. Wait a little for the purge; otherwise it goes on in
        // the background (idempotent; a retry of the call resumes it through the outbox).
        let timer: NodeJS.Timeout | undefined;
        const waited = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), handlers.tenantPurgeWaitMs ?? DEFAULT_TENANT_PURGE_WAIT_MS);
          timer.unref();
        });
        const done = await Promise.race([started.completion, waited]).finally(() => clearTimeout(timer));
        if (done) return tenantResponse(done);
        started.completion
          .then((r) => logger.info({ tenantId, erasureId: r.erasureId }, 'tenant purge completed in the background'))
          .catch((err: unknown) => logger.error({ tenantId, erasureId: started.erasureId, err }, 'tenant purge failed in the background; a retry of the erasure resumes it'));
        return {
          tenantId,
          erasureId: started.erasureId,
          cryptoErasedAtUnixMs: started.cryptoErasedAtMs,
          purgeCompleted: false,
          purgedAtUnixMs: 0,
          erased: undefined,
          dataKeys: 0,
          certificate: undefined,
        };
      },
    ),
    eraseUserData: guardedUnary<EraseUserDataRequest, EraseUserDataResponse>(
      logger,
      authorization,
      {
        method: method('EraseUserData'),
        user: { action: LIFECYCLE_USER_ACTIONS.eraseUserData, resource: (req) => ({ tenant: req.tenantId, owner: req.userId, kind: 'user-data' }) },
      },
      async (req, ctx) => {
        const handlers = erasure ?? unimplemented();
        const r = await handlers.eraseUserData.execute({ tenantId: req.tenantId, userId: req.userId, requestedBy: endUser(ctx).id, reason: req.reason });
        const certificate = await certificateOf(req.tenantId, r.certificateId);
        return {
          userId: r.userId,
          meetingsAffected: r.meetingsAffected,
          segments: r.segments,
          alerts: r.alerts,
          purgedAtUnixMs: r.purgedAtMs,
          certificate,
        };
      },
    ),
    restoreArchivedMeeting: guardedUnary<RestoreArchivedMeetingRequest, RestoreArchivedMeetingResponse>(
      logger,
      authorization,
      {
        method: method('RestoreArchivedMeeting'),
        user: { action: LIFECYCLE_USER_ACTIONS.restoreMeeting, resource: (req) => ({ tenant: req.tenantId, meeting: req.meetingId, kind: 'meeting' }) },
      },
      async (req, ctx) => {
        const handlers = erasure ?? unimplemented();
        await handlers.restoreMeeting.execute({ tenantId: req.tenantId, meetingId: req.meetingId, requestedBy: endUser(ctx).id, reason: req.reason });
        return { meetingId: req.meetingId, restoredAtUnixMs: handlers.clock.now() };
      },
    ),
    getRetentionPolicy: guardedUnary<GetRetentionPolicyRequest, GetRetentionPolicyResponse>(
      logger,
      authorization,
      { method: method('GetRetentionPolicy'), user: { action: LIFECYCLE_USER_ACTIONS.getRetention, resource: (req) => ({ tenant: req.tenantId, kind: 'retention-policy' }) } },
      async (req) => {
        const handlers = erasure ?? unimplemented();
        return { policy: toProtoRetentionPolicy(await handlers.policies.get(requireId('tenant_id', req.tenantId))) };
      },
    ),
    setRetentionPolicy: guardedUnary<SetRetentionPolicyRequest, SetRetentionPolicyResponse>(
      logger,
      authorization,
      { method: method('SetRetentionPolicy'), user: { action: LIFECYCLE_USER_ACTIONS.setRetention, resource: (req) => ({ tenant: req.tenantId, kind: 'retention-policy' }) } },
      async (req, ctx) => {
        const handlers = erasure ?? unimplemented();
        const tenantId = requireId('tenant_id', req.tenantId);
        const action = fromProtoAction(req.action);
        // Both fields are required here (0 / UNSPECIFIED are refused, never read as "the default").
        const valid = parseRetention({ days: req.days, action: action ?? 'unspecified' });
        const policy = await handlers.policies.set(tenantId, valid, { actor: endUser(ctx).id, atMs: handlers.clock.now() });
        return { policy: toProtoRetentionPolicy(policy) };
      },
    ),
  };
  return { name: LIFECYCLE_SERVICE_NAME, definition: LifecycleServiceService, implementation };
}
