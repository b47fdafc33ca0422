import type { Clock, Logger } from '@confide/platform';
import { retentionCutoffMs } from '../domain/retention-policy';
import type { AuditLog } from '../ports/audit-log.port';
import type { RetentionPolicyRepository } from '../ports/retention-policy.port';
import type { StorageMaintenance } from '../ports/storage-maintenance.port';
import { allTenants } from './tenant-pages';

export const RETENTION_ACTOR = 'system:retention';
export const ARCHIVE_MEETING_ACTION = 'meeting:archive';
export const RETENTION_RUN_ACTION = 'retention:run';

export interface RetentionSweepResult {
  tenants: number;
  deleted: number;
  archived: number;
  failed: number;
}

/** The erasure the sweep deletes through (DeleteMeeting: crypto first, purge, certificate). */
export interface MeetingEraser {
  execute(req: { tenantId: string; meetingId: string; requestedBy: string; reason: string }): Promise<unknown>;
}

/**
 * The retention sweep (issue 6, docs/adr/0012-retention.md). For every tenant in storage's
 * tenant registry: its policy (default 90 days, delete), then the meetings that ended at or
 * before now − days: `delete` erases each through DeleteMeeting (crypto-erasure, purge, signed
 * certificate; archived meetings too), `archive` flags each archived in storage (still
 * encrypted, hidden from normal reads until restored) and audits it. One failing meeting or
 * tenant is logged (ids only) and counted; the sweep goes on and the next run retries it.
 * Run it on the leader only (`RunAsLeader` over `AdvisoryLockLeaderElection`).
 */
export class RetentionSweep {
  constructor(
    private readonly deps: {
      storage: Pick<StorageMaintenance, 'listTenants' | 'listExpiredMeetings' | 'archiveMeeting'>;
      policies: Pick<RetentionPolicyRepository, 'get'>;
      eraser: MeetingEraser;
      audit: AuditLog;
      clock: Clock;
      logger: Logger;
      /** Tenants / meetings fetched per call. Default 100. */
      pageSize?: number;
      /** Most meetings handled per tenant per run (the next run continues). Default 10 000. */
      maxPerTenant?: number;
    },
  ) {}

  async run(signal?: AbortSignal): Promise<RetentionSweepResult> {
    const pageSize = this.deps.pageSize ?? 100;
    const result: RetentionSweepResult = { tenants: 0, deleted: 0, archived: 0, failed: 0 };
    for await (const tenantId of allTenants(this.deps.storage, pageSize, signal)) {
      result.tenants++;
      try {
        await this.sweepTenant(tenantId, pageSize, result, signal);
      } catch (err) {
        result.failed++;
        this.deps.logger.warn({ tenantId, err: (err as Error).name }, 'retention sweep of a tenant failed');
      }
    }
    this.deps.logger.info({ ...result }, 'retention sweep finished');
    return result;
  }

  private async sweepTenant(tenantId: string, pageSize: number, result: RetentionSweepResult, signal?: AbortSignal): Promise<void> {
    const now = this.deps.clock.now();
    const policy = await this.deps.policies.get(tenantId);
    const cutoff = retentionCutoffMs(policy, now);
    const maxPerTenant = this.deps.maxPerTenant ?? 10_000;
    const seen = new Set<string>();
    let handled = 0;
    let acted = 0;
    while (handled < maxPerTenant && !signal?.aborted) {
      // Erased and archived meetings leave the listing; whatever stays (a failure) is skipped for
      // the rest of this run (retried next run), so a run always ends.
      const page = (await this.deps.storage.listExpiredMeetings(tenantId, cutoff, pageSize + seen.size, policy.action === 'delete')).filter(
        (m) => !seen.has(m.meetingId),
      );
      if (page.length === 0) break;
      for (const meeting of page) {
        if (signal?.aborted || handled >= maxPerTenant) break;
        handled++;
        seen.add(meeting.meetingId);
        try {
          if (policy.action === 'delete') {
            await this.deps.eraser.execute({
              tenantId,
              meetingId: meeting.meetingId,
              requestedBy: RETENTION_ACTOR,
              reason: `retention policy: ${policy.days} days after the meeting ended, then delete`,
            });
            result.deleted++;
          } else {
            const archived = await this.deps.storage.archiveMeeting({ tenantId, meetingId: meeting.meetingId });
            await this.deps.audit.append({
              tenantId,
              actor: RETENTION_ACTOR,
              action: ARCHIVE_MEETING_ACTION,
              resource: `meeting/${meeting.meetingId}`,
              outcome: archived ? 'success' : 'not-found',
              atMs: this.deps.clock.now(),
            });
            if (archived) result.archived++;
          }
          acted++;
        } catch (err) {
          result.failed++;
          this.deps.logger.warn({ tenantId, meetingId: meeting.meetingId, err: (err as Error).name }, 'retention of a meeting failed');
        }
      }
    }
    if (acted > 0) {
      await this.deps.audit.append({
        tenantId,
        actor: RETENTION_ACTOR,
        action: RETENTION_RUN_ACTION,
        resource: `tenant/${tenantId}`,
        outcome: 'success',
        atMs: this.deps.clock.now(),
      });
    }
  }
}
