import { randomUUID } from 'node:crypto';
import { invalidArgument, tenantKeyName, type Clock, type IdGenerator, type Logger } from '@confide/platform';
import { parseErasureRequest } from '../domain/erasure-request';
import type { ErasureCounts } from '../domain/erasure';
import type { AuditLog } from '../ports/audit-log.port';
import type { TenantKeyShredder } from '../ports/data-key-shredder.port';
import type { ResumableErasureLog } from '../ports/erasure-certifier.port';
import type { ErasureRequests } from '../ports/erasure-requests.port';
import type { StorageMaintenance } from '../ports/storage-maintenance.port';
import { runErasure } from './run-erasure';

export const ERASE_TENANT_ACTION = 'tenant:erase';

export interface EraseTenantResult {
  tenantId: string;
  erased: Required<ErasureCounts>;
  cryptoErasedAtMs: number;
  purgedAtMs: number;
  certificateId: string;
}

/**
 * Erases a whole tenant (`DELETE /api/tenant/data`), crypto first: the tenant's key is
 * destroyed in the KMS (`Kms.destroyKey(confide-tenant-<id>)`) — every data key of the tenant
 * is wrapped under it, so from that instant nothing of the tenant can be decrypted anywhere
 * (Kafka, Postgres, backups); then storage purges every row of the tenant (PurgeTenant: rows
 * deleted, data keys tombstoned, tenant and meeting tombstones), then the signed certificate.
 * Through the erasure outbox: retry-safe, the same certificate every time. The tenant's audit
 * log and certificates are kept (the record of the erasure; said so in the certificate).
 */
export class EraseTenant {
  private readonly ids: IdGenerator;

  constructor(
    private readonly deps: {
      kms: TenantKeyShredder;
      storage: Pick<StorageMaintenance, 'purgeTenant'>;
      requests: ErasureRequests;
      erasures: ResumableErasureLog;
      audit: AuditLog;
      clock: Clock;
      logger: Logger;
      ids?: IdGenerator;
    },
  ) {
    this.ids = deps.ids ?? { newId: () => randomUUID() };
  }

  async execute(req: { tenantId?: string; requestedBy?: string; reason?: string }): Promise<EraseTenantResult> {
    // The same validation as a meeting's erasure (the meeting id is not part of this one).
    const { tenantId, requestedBy, reason } = parseErasureRequest({ ...req, meetingId: '-' });
    let keyName: string;
    try {
      keyName = tenantKeyName(tenantId);
    } catch {
      throw invalidArgument('tenant_id cannot name a tenant key');
    }
    const { kms, storage } = this.deps;
    const { record } = await runErasure(
      { requests: this.deps.requests, erasures: this.deps.erasures, audit: this.deps.audit, clock: this.deps.clock, ids: this.ids, logger: this.deps.logger },
      { tenantId, subject: { kind: 'tenant' }, requestedBy, reason, action: ERASE_TENANT_ACTION, resource: `tenant/${tenantId}` },
      {
        async cryptoErase() {
          await kms.destroyKey(keyName);
          return { keysDestroyed: 1, keyRefs: [`kms:${keyName}`] };
        },
        async purge() {
          const c = await storage.purgeTenant(tenantId);
          return { meetings: c.meetings, segments: c.segments, alerts: c.alerts, reports: c.reports, data_keys: c.dataKeys };
        },
      },
    );
    const c = record.counts ?? {};
    return {
      tenantId,
      erased: { meetings: c.meetings ?? 0, segments: c.segments ?? 0, alerts: c.alerts ?? 0, reports: c.reports ?? 0, data_keys: c.data_keys ?? 0 },
      cryptoErasedAtMs: record.cryptoErasedAtMs ?? 0,
      purgedAtMs: record.purgedAtMs ?? 0,
      certificateId: record.certificateId ?? record.erasureId,
    };
  }
}
