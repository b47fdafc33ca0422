import { TenantScopedDatabase } from '@confide/storage-service';
import type { DataSource } from 'typeorm';
import { chainAuditEvent, type AuditCheckpoint, type AuditDecision, type AuditEvent, type AuditEventInput, type AuditOutcome } from '../../domain/audit-chain';
import type { AuditEventStore } from '../../ports/audit-event-store.port';

/** First key of the per-tenant transaction advisory lock serialising appends ("cfau"). */
export const AUDIT_APPEND_LOCK_CLASS = 0x63666175;

interface EventRow {
  tenant_id: string;
  seq: string;
  occurred_at_ms: string;
  actor: string;
  action: string;
  resource: string;
  decision: string;
  outcome: string;
  obligations: string[];
  prev_hash: string;
  hash: string;
}

interface CheckpointRow {
  tenant_id: string;
  seq: string;
  head_hash: string;
  signed_at_ms: string;
  key_version: number;
  signature: string;
}

const EVENT_COLUMNS = 'tenant_id, seq, occurred_at_ms, actor, action, resource, decision, outcome, obligations, prev_hash, hash';
const CHECKPOINT_COLUMNS = 'tenant_id, seq, head_hash, signed_at_ms, key_version, signature';

function toEvent(r: EventRow): AuditEvent {
  return {
    tenantId: r.tenant_id,
    seq: Number(r.seq),
    occurredAtMs: Number(r.occurred_at_ms),
    actor: r.actor,
    action: r.action,
    resource: r.resource,
    decision: r.decision as AuditDecision,
    outcome: r.outcome as AuditOutcome,
    obligations: r.obligations ?? [],
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function eventParams(event: AuditEvent): unknown[] {
  return [
    event.tenantId,
    event.seq,
    event.occurredAtMs,
    event.actor,
    event.action,
    event.resource,
    event.decision,
    event.outcome,
    event.obligations,
    event.prevHash,
    event.hash,
  ];
}

function toCheckpoint(r: CheckpointRow): AuditCheckpoint {
  return {
    tenantId: r.tenant_id,
    seq: Number(r.seq),
    headHash: r.head_hash,
    signedAtMs: Number(r.signed_at_ms),
    keyVersion: Number(r.key_version),
    signature: r.signature,
  };
}

/**
 * `audit_events` / `audit_checkpoints` as the application role (SELECT and INSERT only), every
 * statement inside `withTenant` (RLS). Appends of one tenant are serialised by a transaction
 * advisory lock on (AUDIT_APPEND_LOCK_CLASS, hashtext(tenant)): read head, link, insert, commit;
 * other tenants append in parallel. The primary key (tenant_id, seq) backs it up: two writers
 * that somehow raced would fail rather than fork the chain.
 */
export class PostgresAuditEventStore implements AuditEventStore {
  private readonly db: TenantScopedDatabase;

  constructor(dataSource: DataSource) {
    this.db = new TenantScopedDatabase(dataSource);
  }

  append(input: AuditEventInput): Promise<AuditEvent> {
    return this.db.withTenant(input.tenantId, async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1::int4, hashtext($2))', [AUDIT_APPEND_LOCK_CLASS, input.tenantId]);
      const event = chainAuditEvent(input, await this.headIn(m, input.tenantId));
      await m.query(`INSERT INTO audit_events (${EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, eventParams(event));
      return event;
    });
  }

  /**
   * As `append`, at most once per (tenant, source event id): under the tenant's append lock the
   * existing entry of the event is looked up first; the unique index `uq_audit_events_source`
   * with `ON CONFLICT DO NOTHING` backs that up (a second writer that slipped past it inserts
   * nothing, and its transaction rolls back instead of forking the chain).
   */
  appendOnce(input: AuditEventInput, sourceEventId: string): Promise<{ event: AuditEvent; appended: boolean }> {
    if (!sourceEventId) throw new Error('sourceEventId is required');
    return this.db.withTenant(input.tenantId, async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1::int4, hashtext($2))', [AUDIT_APPEND_LOCK_CLASS, input.tenantId]);
      const existing = (await m.query(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE tenant_id = $1 AND source_event_id = $2`, [
        input.tenantId,
        sourceEventId,
      ])) as EventRow[];
      if (existing[0]) return { event: toEvent(existing[0]), appended: false };
      const event = chainAuditEvent(input, await this.headIn(m, input.tenantId));
      const inserted = (await m.query(
        `INSERT INTO audit_events (${EVENT_COLUMNS}, source_event_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (tenant_id, source_event_id) WHERE source_event_id IS NOT NULL DO NOTHING RETURNING seq`,
        [...eventParams(event), sourceEventId],
      )) as Array<{ seq: string }>;
      if (inserted.length === 0) throw new Error('audit entry of this event was appended concurrently');
      return { event, appended: true };
    });
  }

  private async headIn(m: { query(sql: string, params?: unknown[]): Promise<unknown> }, tenantId: string): Promise<{ seq: number; hash: string } | undefined> {
    const rows = (await m.query('SELECT seq, hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1', [tenantId])) as Array<{ seq: string; hash: string }>;
    return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : undefined;
  }

  head(tenantId: string): Promise<{ seq: number; hash: string } | undefined> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows = (await m.query('SELECT seq, hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1', [tenantId])) as Array<{ seq: string; hash: string }>;
      return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : undefined;
    });
  }

  eventsAfter(tenantId: string, afterSeq: number, limit: number): Promise<AuditEvent[]> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows = (await m.query(
        `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [tenantId, afterSeq, limit],
      )) as EventRow[];
      return rows.map(toEvent);
    });
  }

  saveCheckpoint(c: AuditCheckpoint & { keyName: string }): Promise<AuditCheckpoint> {
    return this.db.withTenant(c.tenantId, async (m) => {
      await m.query(
        `INSERT INTO audit_checkpoints (tenant_id, seq, head_hash, signed_at_ms, key_name, key_version, signature)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, seq) DO NOTHING`,
        [c.tenantId, c.seq, c.headHash, c.signedAtMs, c.keyName, c.keyVersion, c.signature],
      );
      const rows = (await m.query(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tenant_id = $1 AND seq = $2`, [c.tenantId, c.seq])) as CheckpointRow[];
      return toCheckpoint(rows[0]!);
    });
  }

  latestCheckpoint(tenantId: string): Promise<AuditCheckpoint | undefined> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows = (await m.query(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1`, [tenantId])) as CheckpointRow[];
      return rows[0] ? toCheckpoint(rows[0]) : undefined;
    });
  }

  checkpointsBetween(tenantId: string, afterSeq: number, throughSeq: number): Promise<AuditCheckpoint[]> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows = (await m.query(
        `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
        [tenantId, afterSeq, throughSeq],
      )) as CheckpointRow[];
      return rows.map(toCheckpoint);
    });
  }
}
