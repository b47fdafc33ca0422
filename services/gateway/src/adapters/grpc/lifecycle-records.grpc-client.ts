import {
  AccessGrantScope,
  AccessGrantServiceClient,
  AuditServiceClient,
  CertificateServiceClient,
  type AccessGrant,
  type DeletionCertificate,
  type ExportAuditLogResponse,
  type GetSigningKeysResponse,
  type ListAuditEventsResponse,
} from '@confide/contracts';
import { callUnary, createGrpcClient } from '@confide/platform';
import type * as grpc from '@grpc/grpc-js';
import type { GrantRef, GrantRequestCommand, LifecycleRecordsPort } from '../../ports/lifecycle-records.port';
import type { CallContext } from '../../ports/storage.port';
import { fromDownstream } from './downstream-error';
import { requestMetadata } from './request-metadata';
import type { GrpcPortOptions } from './storage.grpc-client';

/** An export may take longer than one call: this many downstream deadlines. */
const EXPORT_DEADLINE_FACTOR = 12;

/** LifecycleRecordsPort over AccessGrantService, AuditService and CertificateService. */
export class GrpcLifecycleRecordsClient implements LifecycleRecordsPort {
  private readonly grants: AccessGrantServiceClient;
  private readonly audit: AuditServiceClient;
  private readonly certificates: CertificateServiceClient;

  constructor(
    address: string,
    private readonly opts: GrpcPortOptions,
  ) {
    const options = { credentials: opts.credentials };
    this.grants = createGrpcClient(AccessGrantServiceClient, address, options);
    this.audit = createGrpcClient(AuditServiceClient, address, options);
    this.certificates = createGrpcClient(CertificateServiceClient, address, options);
  }

  private async call<Req, Res>(client: grpc.Client, method: string, request: Req, ctx: CallContext): Promise<Res> {
    try {
      return await callUnary<Req, Res>(client, method, request, {
        deadlineMs: this.opts.deadlineMs,
        signal: ctx.signal,
        metadata: requestMetadata(ctx),
      });
    } catch (err) {
      throw fromDownstream('lifecycle', err);
    }
  }

  async requestGrant(command: GrantRequestCommand, ctx: CallContext): Promise<AccessGrant> {
    const res = await this.call<object, { grant?: AccessGrant }>(
      this.grants,
      'requestAccessGrant',
      {
        tenantId: command.tenantId,
        staffId: '',
        reason: command.reason,
        scope: command.scope === 'meeting' ? AccessGrantScope.ACCESS_GRANT_SCOPE_MEETING : AccessGrantScope.ACCESS_GRANT_SCOPE_TENANT,
        meetingId: command.meetingId,
        durationMs: command.durationMs,
      },
      ctx,
    );
    return required(res.grant);
  }

  async approveGrant(ref: GrantRef & { durationMs: number }, ctx: CallContext): Promise<AccessGrant> {
    const res = await this.call<object, { grant?: AccessGrant }>(this.grants, 'approveAccessGrant', { ...ref, approvedBy: '' }, ctx);
    return required(res.grant);
  }

  async denyGrant(ref: GrantRef, ctx: CallContext): Promise<AccessGrant> {
    const res = await this.call<object, { grant?: AccessGrant }>(this.grants, 'denyAccessGrant', { ...ref, deniedBy: '' }, ctx);
    return required(res.grant);
  }

  async revokeGrant(ref: GrantRef, ctx: CallContext): Promise<AccessGrant> {
    const res = await this.call<object, { grant?: AccessGrant }>(this.grants, 'revokeAccessGrant', { ...ref, revokedBy: '' }, ctx);
    return required(res.grant);
  }

  async listGrants(query: { tenantId: string; staffId: string }, ctx: CallContext): Promise<AccessGrant[]> {
    const res = await this.call<object, { grants: AccessGrant[] }>(this.grants, 'listAccessGrants', query, ctx);
    return res.grants;
  }

  async *exportAuditLog(tenantId: string, ctx: CallContext): AsyncIterable<string[]> {
    if (ctx.signal.aborted) return;
    const stream = this.audit.exportAuditLog({ tenantId }, requestMetadata(ctx), {
      deadline: Date.now() + this.opts.deadlineMs * EXPORT_DEADLINE_FACTOR,
    });
    const onAbort = (): void => stream.cancel();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const message of stream as AsyncIterable<ExportAuditLogResponse>) yield message.lines;
    } catch (err) {
      throw fromDownstream('lifecycle', err);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      stream.cancel();
    }
  }

  listAuditEvents(query: { tenantId: string; afterSeq: number; pageSize: number }, ctx: CallContext): Promise<ListAuditEventsResponse> {
    return this.call<object, ListAuditEventsResponse>(this.audit, 'listAuditEvents', query, ctx);
  }

  async getCertificate(query: { tenantId: string; certificateId: string }, ctx: CallContext): Promise<DeletionCertificate> {
    const res = await this.call<object, { certificate?: DeletionCertificate }>(this.certificates, 'getDeletionCertificate', query, ctx);
    return required(res.certificate);
  }

  async listCertificates(query: { tenantId: string; meetingId: string }, ctx: CallContext): Promise<DeletionCertificate[]> {
    const res = await this.call<object, { certificates: DeletionCertificate[] }>(this.certificates, 'listDeletionCertificates', query, ctx);
    return res.certificates;
  }

  signingKeys(ctx: CallContext): Promise<GetSigningKeysResponse> {
    return this.call<object, GetSigningKeysResponse>(this.certificates, 'getSigningKeys', {}, ctx);
  }

  close(): void {
    this.grants.close();
    this.audit.close();
    this.certificates.close();
  }
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('lifecycle answered without a result');
  return value;
}
