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
  /** Free text (may hold personal data): kept only by a real audit log, never logged. */
  reason?: string;
}

/**
 * The per-tenant audit log. Today: a log line without the reason (LoggingAuditLog).
 * Later: a hash-chained, periodically signed log on confide.audit.v1, exportable and
 * verifiable by the tenant.
 */
export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
}
