export interface AuditEntry {
  tenantId: string;
  /** Subject id of who acted. */
  actor: string;
  /** e.g. "meeting:delete". */
  action: string;
  /** e.g. "meeting/<id>". */
  resource: string;
  outcome: 'success' | 'not-found' | 'failure';
  atMs: number;
  /** The authorization decision behind the action; default 'allow' (the action was attempted). */
  decision?: 'allow' | 'deny';
  /** Obligations of that decision (e.g. "audit", "staff-access"). */
  obligations?: string[];
  /**
   * Free text (may hold personal data): never logged, and not part of the hash-chained log
   * either (ids and decisions only, ADR 0011); it stays with the record it explains
   * (deletion certificate, staff grant).
   */
  reason?: string;
}

/**
 * The per-tenant audit log: `LoggingAuditLog` (a log line without the reason) or
 * `ChainedAuditLog` over `PostgresAuditEventStore` (hash-chained, signed checkpoints,
 * exportable and verifiable by the tenant; ADR 0011).
 */
export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
}
