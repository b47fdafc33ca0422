import type { Clock, Logger } from '@confide/platform';
import type { ErasureRequestRecord } from '../domain/erasure';
import type { ErasureRequests } from '../ports/erasure-requests.port';
import type { StorageMaintenance } from '../ports/storage-maintenance.port';
import { allTenants } from './tenant-pages';

/** A pending erasure younger than this is left to the request that is probably still running it. */
export const DEFAULT_ERASURE_RESUME_MIN_AGE_MS = 60_000;

/** How each kind of erasure is resumed: the use case itself, with the recorded request. */
export interface ErasureResumers {
  meeting(req: { tenantId: string; meetingId: string; requestedBy: string; reason: string }): Promise<unknown>;
  user?(req: { tenantId: string; userId: string; requestedBy: string; reason: string }): Promise<unknown>;
  tenant?(req: { tenantId: string; requestedBy: string; reason: string }): Promise<unknown>;
}

/**
 * The erasure outbox's sweeper (docs/adr/0012-retention.md, "Erasure in steps"): an erasure that
 * failed half-way (storage down during the purge, a lost answer, a crash) stays `pending` in
 * `erasure_requests`; before this sweep it resumed only when the client asked again. On the
 * scheduler's leader, each run lists the tenants (registry, in pages) and each tenant's pending
 * erasures (oldest first, `pageSize` per tenant) older than `minAgeMs`, and runs each again through
 * its use case with the recorded requester and reason (each at most once per run). The use cases open the existing record and
 * run only the steps not recorded yet, so a resume is idempotent (same certificate, one purge,
 * monotonic record) and racing a client's own retry is harmless. A failure is logged (ids only) and
 * counted; the erasure stays pending for the next run. NOT_FOUND (the subject did not exist) is
 * the erasure finishing as not-found.
 */
export class ErasureResumeSweep {
  constructor(
    private readonly deps: {
      storage: Pick<StorageMaintenance, 'listTenants'>;
      requests: Pick<ErasureRequests, 'pending'>;
      resume: ErasureResumers;
      clock: Clock;
      logger: Logger;
      minAgeMs?: number;
      pageSize?: number;
    },
  ) {}

  async run(signal?: AbortSignal): Promise<{ resumed: number; failed: number }> {
    const pageSize = this.deps.pageSize ?? 100;
    const cutoff = this.deps.clock.now() - (this.deps.minAgeMs ?? DEFAULT_ERASURE_RESUME_MIN_AGE_MS);
    let resumed = 0;
    let failed = 0;
    for await (const tenantId of allTenants(this.deps.storage, pageSize, signal)) {
      // Each erasure is tried once per run: those that fail again stay at the head of the
      // oldest-first list, so each page asks for as many more as were already tried.
      const tried = new Set<string>();
      for (;;) {
        if (signal?.aborted) break;
        const page = (await this.deps.requests.pending(tenantId, pageSize + tried.size)).filter(
          (r) => r.requestedAtMs <= cutoff && !tried.has(r.erasureId),
        );
        if (page.length === 0) break;
        for (const record of page) {
          if (signal?.aborted) break;
          tried.add(record.erasureId);
          try {
            if (await this.resumeOne(record)) resumed++;
          } catch (err) {
            if ((err as { kind?: string }).kind === 'not-found') {
              resumed++;
              continue;
            }
            failed++;
            this.deps.logger.warn(
              { tenantId, erasureId: record.erasureId, subject: record.subject.kind, err: (err as Error).name },
              'erasure resume failed; it stays pending for the next run',
            );
          }
        }
      }
    }
    if (resumed > 0 || failed > 0) this.deps.logger.info({ resumed, failed }, 'erasure resume sweep finished');
    return { resumed, failed };
  }

  private async resumeOne(r: ErasureRequestRecord): Promise<boolean> {
    const base = { tenantId: r.tenantId, requestedBy: r.requestedBy, reason: r.reason };
    const { resume } = this.deps;
    switch (r.subject.kind) {
      case 'meeting':
        await resume.meeting({ ...base, meetingId: r.subject.meetingId });
        return true;
      case 'user':
        if (!resume.user) return false; // this composition cannot erase users: left pending
        await resume.user({ ...base, userId: r.subject.userId });
        return true;
      case 'tenant':
        if (!resume.tenant) return false;
        await resume.tenant(base);
        return true;
    }
  }
}
