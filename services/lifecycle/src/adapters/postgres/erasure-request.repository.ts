import { TenantScopedDatabase } from '@confide/storage-service';
import type { DataSource, EntityManager } from 'typeorm';
import type { ErasureCounts, ErasureRequestRecord, ErasureSubject } from '../../domain/erasure';
import { erasureSubjectKey } from '../../domain/erasure';
import type { ErasureRequests } from '../../ports/erasure-requests.port';

interface Row {
  tenant_id: string;
  erasure_id: string;
  subject: ErasureSubject;
  requested_by: string;
  reason: string;
  requested_at_ms: string;
  crypto_erased_at_ms: string | null;
  keys_destroyed: number | null;
  key_refs: string[] | null;
  purged_at_ms: string | null;
  counts: ErasureCounts | null;
  certificate_id: string | null;
  outcome: ErasureRequestRecord['outcome'];
  completed_at_ms: string | null;
}

const COLUMNS = `tenant_id, erasure_id, subject, requested_by, reason, requested_at_ms, crypto_erased_at_ms, keys_destroyed,
  key_refs, purged_at_ms, counts, certificate_id, outcome, completed_at_ms`;

function toRecord(r: Row): ErasureRequestRecord {
  return {
    tenantId: r.tenant_id,
    erasureId: r.erasure_id,
    subject: r.subject,
    requestedBy: r.requested_by,
    reason: r.reason,
    requestedAtMs: Number(r.requested_at_ms),
    ...(r.crypto_erased_at_ms === null ? {} : { cryptoErasedAtMs: Number(r.crypto_erased_at_ms) }),
    ...(r.keys_destroyed === null ? {} : { keysDestroyed: r.keys_destroyed }),
    ...(r.key_refs === null ? {} : { keyRefs: r.key_refs }),
    ...(r.purged_at_ms === null ? {} : { purgedAtMs: Number(r.purged_at_ms) }),
    ...(r.counts === null ? {} : { counts: r.counts }),
    ...(r.certificate_id === null ? {} : { certificateId: r.certificate_id }),
    outcome: r.outcome,
    ...(r.completed_at_ms === null ? {} : { completedAtMs: Number(r.completed_at_ms) }),
  };
}

/** Rows of `UPDATE .. RETURNING` through TypeORM's pg driver: `[rows, count]`. */
function returned(result: unknown): Row[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as Row[];
  return result as Row[];
}

/**
 * The erasure outbox in PostgreSQL (`erasure_requests`, RLS through `withTenant`). `open` is
 * insert-or-read on (tenant, subject) so concurrent requests for one subject share one
 * erasure; each `mark*` only fills columns still NULL (first value wins).
 */
export class PostgresErasureRequestRepository implements ErasureRequests {
  private readonly db: TenantScopedDatabase;

  constructor(dataSource: DataSource) {
    this.db = new TenantScopedDatabase(dataSource);
  }

  open(req: { tenantId: string; subject: ErasureSubject; erasureId: string; requestedBy: string; reason: string; requestedAtMs: number }): Promise<ErasureRequestRecord> {
    const key = erasureSubjectKey(req.subject);
    return this.db.withTenant(req.tenantId, async (m) => {
      await m.query(
        `INSERT INTO erasure_requests (tenant_id, erasure_id, subject_key, subject, requested_by, reason, requested_at_ms)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
         ON CONFLICT (tenant_id, subject_key) DO NOTHING`,
        [req.tenantId, req.erasureId, key, JSON.stringify(req.subject), req.requestedBy, req.reason, req.requestedAtMs],
      );
      const rows: Row[] = await m.query(`SELECT ${COLUMNS} FROM erasure_requests WHERE tenant_id = $1 AND subject_key = $2`, [req.tenantId, key]);
      if (!rows[0]) throw new Error('erasure request row vanished');
      return toRecord(rows[0]);
    });
  }

  markCryptoErased(tenantId: string, erasureId: string, atMs: number | null, keysDestroyed: number, keyRefs: string[]): Promise<ErasureRequestRecord> {
    return this.update(
      tenantId,
      erasureId,
      `crypto_erased_at_ms = COALESCE(crypto_erased_at_ms, $3::bigint), keys_destroyed = COALESCE(keys_destroyed, $4), key_refs = COALESCE(key_refs, $5::jsonb)`,
      [atMs, keysDestroyed, JSON.stringify(keyRefs)],
    );
  }

  markPurged(tenantId: string, erasureId: string, atMs: number, counts: ErasureCounts): Promise<ErasureRequestRecord> {
    return this.update(tenantId, erasureId, `purged_at_ms = COALESCE(purged_at_ms, $3), counts = COALESCE(counts, $4::jsonb)`, [atMs, JSON.stringify(counts)]);
  }

  markCertified(tenantId: string, erasureId: string, certificateId: string): Promise<ErasureRequestRecord> {
    return this.update(tenantId, erasureId, `certificate_id = COALESCE(certificate_id, $3)`, [certificateId]);
  }

  markFinished(tenantId: string, erasureId: string, outcome: 'completed' | 'not-found', atMs: number): Promise<ErasureRequestRecord> {
    return this.update(
      tenantId,
      erasureId,
      `outcome = CASE WHEN outcome = 'pending' THEN $3 ELSE outcome END, completed_at_ms = COALESCE(completed_at_ms, $4)`,
      [outcome, atMs],
    );
  }

  pending(tenantId: string, limit: number): Promise<ErasureRequestRecord[]> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows: Row[] = await m.query(
        `SELECT ${COLUMNS} FROM erasure_requests WHERE tenant_id = $1 AND outcome = 'pending' ORDER BY requested_at_ms, erasure_id LIMIT $2`,
        [tenantId, limit],
      );
      return rows.map(toRecord);
    });
  }

  private update(tenantId: string, erasureId: string, set: string, params: unknown[]): Promise<ErasureRequestRecord> {
    return this.db.withTenant(tenantId, async (m: EntityManager) => {
      const rows = returned(
        await m.query(`UPDATE erasure_requests SET ${set} WHERE tenant_id = $1 AND erasure_id = $2 RETURNING ${COLUMNS}`, [tenantId, erasureId, ...params]),
      );
      if (!rows[0]) throw new Error('erasure request not found');
      return toRecord(rows[0]);
    });
  }
}
