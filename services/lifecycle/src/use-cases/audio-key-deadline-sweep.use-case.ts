import type { Clock, Logger } from '@confide/platform';
import type { AuditLog } from '../ports/audit-log.port';
import type { DataKeyShredder } from '../ports/data-key-shredder.port';
import type { StorageMaintenance } from '../ports/storage-maintenance.port';
import { allTenants } from './tenant-pages';

export const DEFAULT_AUDIO_KEY_MAX_AGE_MS = 72 * 60 * 60 * 1000;
export const AUDIO_KEY_DEADLINE_ACTOR = 'system:audio-key-deadline';
export const DESTROY_AUDIO_KEY_ACTION = 'key:destroy-audio';

/**
 * Promise 3's backstop (issue 6): a meeting's audio key is destroyed when its transcription
 * completes, and never later than `maxAgeMs` (default 72 h) after the meeting ended even if
 * transcription stalls. Each run lists, per tenant, the meetings that ended at or before
 * now − maxAgeMs whose audio key is still active (storage's `ListAudioKeysDue`) and destroys
 * those keys through the key registry, auditing each. Leader only (`RunAsLeader`).
 */
export class AudioKeyDeadlineSweep {
  constructor(
    private readonly deps: {
      storage: Pick<StorageMaintenance, 'listTenants' | 'listAudioKeysDue'>;
      keys: DataKeyShredder;
      audit: AuditLog;
      clock: Clock;
      logger: Logger;
      maxAgeMs?: number;
      pageSize?: number;
    },
  ) {}

  async run(signal?: AbortSignal): Promise<{ destroyed: number; failed: number }> {
    const pageSize = this.deps.pageSize ?? 100;
    const cutoff = this.deps.clock.now() - (this.deps.maxAgeMs ?? DEFAULT_AUDIO_KEY_MAX_AGE_MS);
    let destroyed = 0;
    let failed = 0;
    for await (const tenantId of allTenants(this.deps.storage, pageSize, signal)) {
      const seen = new Set<string>();
      for (;;) {
        if (signal?.aborted) break;
        const due = (await this.deps.storage.listAudioKeysDue(tenantId, cutoff, pageSize + seen.size)).filter((m) => !seen.has(m));
        if (due.length === 0) break;
        for (const meetingId of due) {
          seen.add(meetingId);
          try {
            const wasActive = await this.deps.keys.destroy(tenantId, meetingId, 'audio');
            await this.deps.audit.append({
              tenantId,
              actor: AUDIO_KEY_DEADLINE_ACTOR,
              action: DESTROY_AUDIO_KEY_ACTION,
              resource: `meeting/${meetingId}`,
              outcome: 'success',
              atMs: this.deps.clock.now(),
            });
            if (wasActive) destroyed++;
          } catch (err) {
            failed++;
            this.deps.logger.warn({ tenantId, meetingId, err: (err as Error).name }, 'audio key deadline: destroy failed');
          }
        }
      }
    }
    if (destroyed > 0 || failed > 0) this.deps.logger.info({ destroyed, failed }, 'audio key deadline sweep finished');
    return { destroyed, failed };
  }
}
