import type { ErasedCounts } from './meeting-store.port';

export interface ErasureRecord {
  tenantId: string;
  meetingId: string;
  requestedBy: string;
  erasedAtMs: number;
  counts: ErasedCounts;
}

/**
 * Where completed erasures are recorded. Today: a log line of ids and counts
 * (LoggingErasureLog). Later: a Postgres table that backs signed deletion certificates
 * (`GET /api/certificates/:id`) and lets an interrupted erasure be resumed.
 */
export interface ErasureLog {
  recordErasure(record: ErasureRecord): Promise<void>;
}
