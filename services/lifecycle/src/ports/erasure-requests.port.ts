import type { ErasureCounts, ErasureRequestRecord, ErasureSubject } from '../domain/erasure';

/**
 * The erasure outbox (`erasure_requests`): an erasure is recorded before its first effect and
 * advanced step by step, so a retry after any partial failure finds it and completes the
 * remaining steps (crypto-erasure → purge → certificate → event), yielding the same
 * certificate. Every `mark*` keeps the first value it recorded (retries never rewrite history).
 */
export interface ErasureRequests {
  /** The erasure of `subject` in the tenant: the existing record, or a new pending one. */
  open(req: {
    tenantId: string;
    subject: ErasureSubject;
    erasureId: string;
    requestedBy: string;
    reason: string;
    requestedAtMs: number;
  }): Promise<ErasureRequestRecord>;
  /** `atMs` null: the step ran without a key store (nothing crypto-erased). */
  markCryptoErased(tenantId: string, erasureId: string, atMs: number | null, keysDestroyed: number, keyRefs: string[]): Promise<ErasureRequestRecord>;
  markPurged(tenantId: string, erasureId: string, atMs: number, counts: ErasureCounts): Promise<ErasureRequestRecord>;
  markCertified(tenantId: string, erasureId: string, certificateId: string): Promise<ErasureRequestRecord>;
  markFinished(tenantId: string, erasureId: string, outcome: 'completed' | 'not-found', atMs: number): Promise<ErasureRequestRecord>;
  /** Unfinished erasures of the tenant, oldest first (for a resume sweep). */
  pending(tenantId: string, limit: number): Promise<ErasureRequestRecord[]>;
}
