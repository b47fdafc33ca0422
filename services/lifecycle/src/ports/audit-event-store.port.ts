import type { AuditCheckpoint, AuditEvent, AuditEventInput } from '../domain/audit-chain';

/**
 * Durable storage of the per-tenant hash chain and its signed checkpoints. `append` links
 * the event after the tenant's current head atomically (one writer per tenant at a time).
 */
export interface AuditEventStore {
  append(input: AuditEventInput): Promise<AuditEvent>;
  /**
   * Appends the entry of an event received from the bus once: if the tenant's chain already holds
   * an entry of `sourceEventId`, nothing is appended and that entry is returned
   * (`appended: false`). Redelivery therefore never adds a second entry.
   */
  appendOnce(input: AuditEventInput, sourceEventId: string): Promise<{ event: AuditEvent; appended: boolean }>;
  /** The tenant's last event, undefined when it has none. */
  head(tenantId: string): Promise<{ seq: number; hash: string } | undefined>;
  /** Events with seq > afterSeq in order, at most `limit`. */
  eventsAfter(tenantId: string, afterSeq: number, limit: number): Promise<AuditEvent[]>;
  /** Stores a checkpoint; if one exists for (tenant, seq) it is kept and returned instead. */
  saveCheckpoint(checkpoint: AuditCheckpoint & { keyName: string }): Promise<AuditCheckpoint>;
  latestCheckpoint(tenantId: string): Promise<AuditCheckpoint | undefined>;
  /** Checkpoints with afterSeq < seq ≤ throughSeq, in order. */
  checkpointsBetween(tenantId: string, afterSeq: number, throughSeq: number): Promise<AuditCheckpoint[]>;
}
