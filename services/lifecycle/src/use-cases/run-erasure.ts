import { notFound, type Clock, type IdGenerator, type Logger } from '@confide/platform';
import type { ErasureCounts, ErasureRequestRecord, ErasureSubject } from '../domain/erasure';
import type { AuditLog } from '../ports/audit-log.port';
import type { ResumableErasureLog } from '../ports/erasure-certifier.port';
import type { ErasureRequests } from '../ports/erasure-requests.port';

/** Steps of one subject's erasure; each must be idempotent (a retry runs it again). */
export interface ErasureSteps {
  /**
   * Crypto-erasure: destroys the keys; returns how many were active and their references.
   * `skipped`: no key store is configured, so no crypto-erasure time is recorded.
   */
  cryptoErase(): Promise<{ keysDestroyed: number; keyRefs: string[]; skipped?: boolean }>;
  /** Physical purge of the rows; returns the counts removed by this call. */
  purge(): Promise<ErasureCounts>;
  /** After the certificate: announce (e.g. MeetingErased). */
  announce?(record: ErasureRequestRecord): Promise<void>;
  /** First run only: true when the subject did not exist (nothing destroyed, nothing purged). */
  isNotFound?(crypto: { keysDestroyed: number }, counts: ErasureCounts): boolean;
}

export interface ErasureRunDeps {
  requests: ErasureRequests;
  erasures: ResumableErasureLog;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
}

export interface ErasureRunResult {
  record: ErasureRequestRecord;
  /** True when an earlier call had already finished this erasure. */
  alreadyFinished: boolean;
}

/**
 * Runs an erasure through the outbox, "crypto first, physical purge after":
 *   open (recorded before any effect) → crypto-erasure (time recorded) → purge (counts
 *   recorded) → certificate (id = erasure id) → announce → finished.
 * A step already recorded is not redone except where redoing is harmless (the crypto step and
 * the purge are re-run while their record is missing, both idempotent); a retry after any
 * failure completes the rest and yields the same certificate. An erasure whose subject did not
 * exist (nothing destroyed and nothing purged on its first run) finishes as not-found: NOT_FOUND
 * now and on every retry, and no certificate.
 */
export async function runErasure(
  deps: ErasureRunDeps,
  req: { tenantId: string; subject: ErasureSubject; requestedBy: string; reason: string; action: string; resource: string },
  steps: ErasureSteps,
): Promise<ErasureRunResult> {
  const audit = (outcome: 'success' | 'not-found' | 'failure') =>
    deps.audit.append({
      tenantId: req.tenantId,
      actor: req.requestedBy,
      action: req.action,
      resource: req.resource,
      outcome,
      atMs: deps.clock.now(),
      ...(req.reason ? { reason: req.reason } : {}),
    });
  let record = await deps.requests.open({
    tenantId: req.tenantId,
    subject: req.subject,
    erasureId: deps.ids.newId(),
    requestedBy: req.requestedBy,
    reason: req.reason,
    requestedAtMs: deps.clock.now(),
  });
  if (record.outcome === 'not-found') {
    await audit('not-found');
    throw notFound(`${req.subject.kind} not found`);
  }
  if (record.outcome === 'completed') return { record, alreadyFinished: true };
  // `keysDestroyed` marks the crypto step done (its time stays unset when it was skipped).
  const firstRun = record.keysDestroyed === undefined;
  try {
    if (record.keysDestroyed === undefined) {
      const crypto = await steps.cryptoErase();
      record = await deps.requests.markCryptoErased(
        req.tenantId,
        record.erasureId,
        crypto.skipped ? null : deps.clock.now(),
        crypto.keysDestroyed,
        crypto.keyRefs,
      );
    }
    if (record.purgedAtMs === undefined) {
      const counts = await steps.purge();
      if (firstRun && steps.isNotFound?.({ keysDestroyed: record.keysDestroyed ?? 0 }, counts)) {
        await deps.requests.markFinished(req.tenantId, record.erasureId, 'not-found', deps.clock.now());
        await audit('not-found');
        throw notFound(`${req.subject.kind} not found`);
      }
      record = await deps.requests.markPurged(req.tenantId, record.erasureId, deps.clock.now(), counts);
    }
    if (record.certificateId === undefined) {
      const purged = record as ErasureRequestRecord & { purgedAtMs: number };
      const c = purged.counts ?? {};
      const issued = await deps.erasures.recordErasure({
        tenantId: req.tenantId,
        meetingId: req.subject.kind === 'meeting' ? req.subject.meetingId : '',
        requestedBy: record.requestedBy,
        erasedAtMs: purged.purgedAtMs,
        counts: { meetings: c.meetings ?? 0, segments: c.segments ?? 0, alerts: c.alerts ?? 0, reports: c.reports ?? 0 },
        reason: record.reason,
        ...(record.cryptoErasedAtMs !== undefined ? { cryptoErasedAtMs: record.cryptoErasedAtMs } : {}),
        erasure: purged,
      });
      record = await deps.requests.markCertified(req.tenantId, record.erasureId, issued ? issued.certificateId : record.erasureId);
    }
    await steps.announce?.(record);
    record = await deps.requests.markFinished(req.tenantId, record.erasureId, 'completed', deps.clock.now());
  } catch (err) {
    if ((err as { kind?: string }).kind === 'not-found') throw err;
    await audit('failure').catch(() => undefined);
    throw err;
  }
  await audit('success');
  deps.logger.info({ tenantId: req.tenantId, subject: req.subject.kind, erasureId: record.erasureId, erased: record.counts }, 'erasure completed');
  return { record, alreadyFinished: false };
}

/**
 * An outbox held in this process only: retries within the process resume, a restart forgets.
 * The fallback of compositions that have no database (unit compositions); production passes
 * `PostgresErasureRequestRepository`.
 */
export class ProcessLocalErasureRequests implements ErasureRequests {
  private readonly rows = new Map<string, ErasureRequestRecord>();
  private readonly byId = new Map<string, string>();

  async open(req: Parameters<ErasureRequests['open']>[0]): Promise<ErasureRequestRecord> {
    const key = `${req.tenantId}\u0000${subjectKeyOf(req.subject)}`;
    const existing = this.rows.get(key);
    if (existing) return { ...existing };
    const record: ErasureRequestRecord = {
      tenantId: req.tenantId,
      erasureId: req.erasureId,
      subject: req.subject,
      requestedBy: req.requestedBy,
      reason: req.reason,
      requestedAtMs: req.requestedAtMs,
      outcome: 'pending',
    };
    this.rows.set(key, record);
    this.byId.set(`${req.tenantId}\u0000${req.erasureId}`, key);
    return { ...record };
  }

  async markCryptoErased(tenantId: string, erasureId: string, atMs: number | null, keysDestroyed: number, keyRefs: string[]): Promise<ErasureRequestRecord> {
    return this.update(tenantId, erasureId, (r) => {
      if (atMs !== null) r.cryptoErasedAtMs ??= atMs;
      r.keysDestroyed ??= keysDestroyed;
      r.keyRefs ??= [...keyRefs];
    });
  }

  async markPurged(tenantId: string, erasureId: string, atMs: number, counts: ErasureCounts): Promise<ErasureRequestRecord> {
    return this.update(tenantId, erasureId, (r) => {
      r.purgedAtMs ??= atMs;
      r.counts ??= { ...counts };
    });
  }

  async markCertified(tenantId: string, erasureId: string, certificateId: string): Promise<ErasureRequestRecord> {
    return this.update(tenantId, erasureId, (r) => {
      r.certificateId ??= certificateId;
    });
  }

  async markFinished(tenantId: string, erasureId: string, outcome: 'completed' | 'not-found', atMs: number): Promise<ErasureRequestRecord> {
    return this.update(tenantId, erasureId, (r) => {
      if (r.outcome === 'pending') r.outcome = outcome;
      r.completedAtMs ??= atMs;
    });
  }

  async pending(tenantId: string, limit: number): Promise<ErasureRequestRecord[]> {
    return [...this.rows.values()].filter((r) => r.tenantId === tenantId && r.outcome === 'pending').slice(0, limit).map((r) => ({ ...r }));
  }

  private update(tenantId: string, erasureId: string, fn: (r: ErasureRequestRecord) => void): ErasureRequestRecord {
    const key = this.byId.get(`${tenantId}\u0000${erasureId}`);
    const record = key === undefined ? undefined : this.rows.get(key);
    if (!record) throw new Error('erasure request not found');
    fn(record);
    return { ...record };
  }
}

const subjectKeyOf = (s: ErasureSubject): string => (s.kind === 'meeting' ? `meeting/${s.meetingId}` : s.kind === 'user' ? `user/${s.userId}` : 'tenant');
