import type { ErasureRequestRecord } from '../domain/erasure';
import type { ErasureRecord } from './erasure-log.port';

/**
 * An ErasureLog that can be resumed: the record names its erasure (whose id is the
 * certificate's), so issuing twice for one erasure yields one certificate. DeleteMeeting accepts
 * any ErasureLog here (LoggingErasureLog in unit compositions); `IssueErasureCertificate` is the
 * idempotent, signed one.
 */
export interface ResumableErasureRecord extends ErasureRecord {
  erasure: ErasureRequestRecord & { purgedAtMs: number };
}

export interface ResumableErasureLog {
  recordErasure(record: ResumableErasureRecord): Promise<void | { certificateId: string }>;
}
