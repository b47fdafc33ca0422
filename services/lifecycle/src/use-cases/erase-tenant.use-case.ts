import { randomUUID } from 'node:crypto';
import { invalidArgument, tenantKeyName, type Clock, type IdGenerator, type Logger } from '@confide/platform';
import { parseErasureRequest } from '../domain/erasure-request';
import type { ErasureCounts, ErasureRequestRecord } from '../domain/erasure';
import type { AuditLog } from '../ports/audit-log.port';
import type { TenantKeyShredder } from '../ports/data-key-shredder.port';
import type { ResumableErasureLog } from '../ports/erasure-certifier.port';
import type { ErasureRequests } from '../ports/erasure-requests.port';
import type { StorageMaintenance } from '../ports/storage-maintenance.port';
import { runErasure } from './run-erasure';

export const ERASE_TENANT_ACTION = 'tenant:erase';
/** The chain entry of the tenant key's destruction in the KMS (the crypto-erasure). */
export const TENANT_KEY_DESTROY_ACTION = 'tenant-key:destroy';
const LIFECYCLE_ACTOR = 'service:lifecycle';

export interface EraseTenantResult {
  tenantId: string;
  erasureId: string;
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

  /**
   * Starts the erasure and resolves as soon as the tenant key is destroyed (recorded in the
   * outbox), with `completion` for the rest (purge, certificate). A failure before the key
   * was destroyed rejects. The caller decides how long to wait for `completion`; whatever it
   * does, the rest keeps running, and a retry of the same erasure resumes it (same record,
   * same certificate).
   */
  async begin(req: { tenantId?: string; requestedBy?: string; reason?: string }): Promise<{ erasureId: string; cryptoErasedAtMs: number; completion: Promise<EraseTenantResult> }> {
    let signal!: (r: { erasureId: string; cryptoErasedAtMs: number }) => void;
    const cryptoDone = new Promise<{ erasureId: string; cryptoErasedAtMs: number }>((resolve) => (signal = resolve));
    const inner = this.deps.requests;
    const watch = (r: ErasureRequestRecord): ErasureRequestRecord => {
      if (r.cryptoErasedAtMs !== undefined) signal({ erasureId: r.erasureId, cryptoErasedAtMs: r.cryptoErasedAtMs });
      return r;
    };
    const requests: ErasureRequests = {
      open: async (r) => watch(await inner.open(r)),
      markCryptoErased: async (...a) => watch(await inner.markCryptoErased(...a)),
      markPurged: (...a) => inner.markPurged(...a),
      markCertified: (...a) => inner.markCertified(...a),
      markFinished: (...a) => inner.markFinished(...a),
      pending: (...a) => inner.pending(...a),
    };
    const completion = this.run(req, requests);
    // Handled by the caller when it waits; never an unhandled rejection when it does not.
    completion.catch(() => undefined);
    const first = await Promise.race([cryptoDone, completion]);
    return { erasureId: first.erasureId, cryptoErasedAtMs: first.cryptoErasedAtMs, completion };
  }

  async execute(req: { tenantId?: string; requestedBy?: string; reason?: string }): Promise<EraseTenantResult> {
    return this.run(req, this.deps.requests);
  }

  private async run(req: { tenantId?: string; requestedBy?: string; reason?: string }, requests: ErasureRequests): Promise<EraseTenantResult> {
    // The same validation as a meeting's erasure (the meeting id is not part of this one).
    const { tenantId, requestedBy, reason } = parseErasureRequest({ ...req, meetingId: '-' });
    let keyName: string;
    try {
      keyName = tenantKeyName(tenantId);
    } catch {
      throw invalidArgument('tenant_id cannot name a tenant key');
    }
    const { kms, storage, audit, clock } = this.deps;
    const { record } = await runErasure(
      { requests, erasures: this.deps.erasures, audit: this.deps.audit, clock: this.deps.clock, ids: this.ids, logger: this.deps.logger },
      { tenantId, subject: { kind: 'tenant' }, requestedBy, reason, action: ERASE_TENANT_ACTION, resource: `tenant/${tenantId}` },
      {
        async cryptoErase() {
          await kms.destroyKey(keyName);
          // The key operation in the tenant's chain (its name only); a failed append fails the step,
          // whose retry destroys again (idempotent) and appends again.
          await audit.append({
            tenantId,
            actor: LIFECYCLE_ACTOR,
            action: TENANT_KEY_DESTROY_ACTION,
            resource: `tenant-key/${tenantId}`,
            outcome: 'success',
            atMs: clock.now(),
            obligations: ['audit'],
          });
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
      erasureId: record.erasureId,
      erased: { meetings: c.meetings ?? 0, segments: c.segments ?? 0, alerts: c.alerts ?? 0, reports: c.reports ?? 0, data_keys: c.data_keys ?? 0 },
      cryptoErasedAtMs: record.cryptoErasedAtMs ?? 0,
      purgedAtMs: record.purgedAtMs ?? 0,
      certificateId: record.certificateId ?? record.erasureId,
    };
  }
}
