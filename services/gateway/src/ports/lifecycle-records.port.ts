import type { AccessGrant, DeletionCertificate, GetSigningKeysResponse, ListAuditEventsResponse } from '@confide/contracts';
import type { CallContext } from './storage.port';

export interface GrantRequestCommand {
  tenantId: string;
  reason: string;
  scope: 'tenant' | 'meeting';
  /** "" for scope tenant. */
  meetingId: string;
  /** 0: lifecycle's default (24 h). */
  durationMs: number;
}

export interface GrantRef {
  tenantId: string;
  grantId: string;
}

/**
 * Lifecycle's records beyond erasure (ADR 0011): staff-access grants, the tenant's audit log,
 * deletion certificates and the published signing keys. Who acts is the end user of the
 * signed subject assertion in `ctx`; lifecycle decides each call again. Rejections as in
 * StoragePort (AppError by gRPC status, DownstreamInternalError).
 */
export interface LifecycleRecordsPort {
  requestGrant(command: GrantRequestCommand, ctx: CallContext): Promise<AccessGrant>;
  approveGrant(ref: GrantRef & { durationMs: number }, ctx: CallContext): Promise<AccessGrant>;
  denyGrant(ref: GrantRef, ctx: CallContext): Promise<AccessGrant>;
  revokeGrant(ref: GrantRef, ctx: CallContext): Promise<AccessGrant>;
  /** Newest first; `staffId` "" for every staff member. */
  listGrants(query: { tenantId: string; staffId: string }, ctx: CallContext): Promise<AccessGrant[]>;
  /** The export as consecutive chunks of JSON lines (without terminators). */
  exportAuditLog(tenantId: string, ctx: CallContext): AsyncIterable<string[]>;
  /** A page of the tenant's chained audit events (ids and decisions only). */
  listAuditEvents(query: { tenantId: string; afterSeq: number; pageSize: number }, ctx: CallContext): Promise<ListAuditEventsResponse>;
  getCertificate(query: { tenantId: string; certificateId: string }, ctx: CallContext): Promise<DeletionCertificate>;
  /** Oldest first. */
  listCertificates(query: { tenantId: string; meetingId: string }, ctx: CallContext): Promise<DeletionCertificate[]>;
  signingKeys(ctx: CallContext): Promise<GetSigningKeysResponse>;
}
