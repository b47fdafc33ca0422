import type { ErasedCounts } from './meeting-store.port';

export interface ErasureRecord {
  tenantId: string;
  meetingId: string;
  requestedBy: string;
  erasedAtMs: number;
  counts: ErasedCounts;
  /** Free text of the request (may hold personal data): kept in the certificate, never logged. */
  reason?: string;
  /** When the meeting key was destroyed (crypto-erasure); absent when none was. */
  cryptoErasedAtMs?: number;
}

/**
 * Where completed erasures are recorded: a log line of ids and counts (LoggingErasureLog),
 * or a signed deletion certificate stored in Postgres (`IssueDeletionCertificate`, backing
 * `GET /api/certificates/:id`). Resuming an interrupted erasure is still to come.
 */
export interface ErasureLog {
  recordErasure(record: ErasureRecord): Promise<void>;
}
