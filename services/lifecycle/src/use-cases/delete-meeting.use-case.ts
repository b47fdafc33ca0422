import { randomUUID } from 'node:crypto';
import type { Clock, IdGenerator, Logger } from '@confide/platform';
import { parseErasureRequest } from '../domain/erasure-request';
import type { AuditLog } from '../ports/audit-log.port';
import type { DataKeyShredder } from '../ports/data-key-shredder.port';
import type { EndedMeetings } from '../ports/ended-meetings.port';
import type { ResumableErasureLog } from '../ports/erasure-certifier.port';
import type { ErasureEventPublisher } from '../ports/erasure-events.port';
import type { ErasureRequests } from '../ports/erasure-requests.port';
import type { ErasedCounts, MeetingStore } from '../ports/meeting-store.port';
import { ProcessLocalErasureRequests, runErasure } from './run-erasure';

export interface DeleteMeetingResult {
  meetingId: string;
  erased: ErasedCounts;
  /** When the rows were purged (physical erasure). */
  erasedAtMs: number;
  /** When the meeting's data keys were destroyed (crypto-erasure); undefined when no key was configured. */
  cryptoErasedAtMs?: number;
  /** The deletion certificate (the erasure's id); the same on every retry. */
  certificateId?: string;
}

export const DELETE_MEETING_ACTION = 'meeting:delete';

const KEY_PURPOSES = ['meeting', 'audio'] as const;

const uuids: IdGenerator = { newId: () => randomUUID() };

export interface DeleteMeetingDeps {
  store: MeetingStore;
  events: ErasureEventPublisher;
  /** `IssueErasureCertificate` (idempotent, signed), or any ErasureLog. */
  erasures: ResumableErasureLog;
  audit: AuditLog;
  ended: EndedMeetings;
  clock: Clock;
  logger: Logger;
  /**
   * Crypto-erasure: destroys the meeting's `meeting` and `audio` data keys (the process's
   * `MeetingKeyring`, which also drops its plaintext copies, or a `GrpcKeyRegistry`). Without
   * it no key is destroyed and certificates say `crypto_erased_at: null` (a warning is logged).
   */
  keys?: DataKeyShredder;
  /** The erasure outbox (`PostgresErasureRequestRepository`). Default: this process only. */
  requests?: ErasureRequests;
  /** Erasure (and certificate) ids. Default: random UUIDs. */
  ids?: IdGenerator;
}

/**
 * Erases a meeting, crypto first, physical purge after (issue 6), through the erasure outbox:
 *   1. the erasure is recorded (outbox) before any effect;
 *   2. crypto-erasure: the meeting's data keys (meeting and audio) are destroyed in the key
 *      registry — from then on no copy of its content (Kafka, Postgres, backups) can be
 *      decrypted by anyone who has to fetch the key; the time is recorded;
 *   3. storage purges the rows (PurgeMeeting: every row + tombstone, one transaction);
 *   4. the deletion certificate is issued through the ErasureLog (reason, requester,
 *      crypto-erasure time; certificate id = erasure id);
 *   5. MeetingErased is published; the erasure is finished and audited.
 * Retry-safe: a retry after a failure at any step completes the remaining steps and returns the
 * same certificate; a retry of a finished erasure returns its result again. NOT_FOUND when the
 * meeting never existed for the tenant (no active key destroyed and no meeting row purged).
 */
export class DeleteMeeting {
  private readonly requests: ErasureRequests;
  private readonly ids: IdGenerator;

  constructor(private readonly deps: DeleteMeetingDeps) {
    this.requests = deps.requests ?? new ProcessLocalErasureRequests();
    this.ids = deps.ids ?? uuids;
    if (!deps.keys) deps.logger.warn('DeleteMeeting has no key registry: meetings are purged without crypto-erasure');
  }

  async execute(
    req: { tenantId?: string; meetingId?: string; requestedBy?: string; reason?: string },
    opts: { signal?: AbortSignal } = {},
  ): Promise<DeleteMeetingResult> {
    const { tenantId, meetingId, requestedBy, reason } = parseErasureRequest(req);
    const { keys, store, events } = this.deps;
    const { record } = await runErasure(
      { requests: this.requests, erasures: this.deps.erasures, audit: this.deps.audit, clock: this.deps.clock, ids: this.ids, logger: this.deps.logger },
      { tenantId, subject: { kind: 'meeting', meetingId }, requestedBy, reason, action: DELETE_MEETING_ACTION, resource: `meeting/${meetingId}` },
      {
        async cryptoErase() {
          if (!keys) return { keysDestroyed: 0, keyRefs: [], skipped: true };
          let keysDestroyed = 0;
          const keyRefs: string[] = [];
          for (const purpose of KEY_PURPOSES) {
            if (await keys.destroy(tenantId, meetingId, purpose)) {
              keysDestroyed++;
              keyRefs.push(`data-key:${meetingId}/${purpose}`);
            }
          }
          return { keysDestroyed, keyRefs };
        },
        purge: () => store.purgeMeeting({ tenantId, meetingId }, opts.signal ? { signal: opts.signal } : {}),
        isNotFound: (crypto, counts) => crypto.keysDestroyed === 0 && (counts.meetings ?? 0) === 0,
        announce: async (r) => {
          await events.meetingErased({ tenantId, meetingId, requestedBy: r.requestedBy, erasedAtMs: r.purgedAtMs ?? this.deps.clock.now() });
        },
      },
    );
    await this.deps.ended.forget({ tenantId, meetingId });
    const c = record.counts ?? {};
    return {
      meetingId,
      erased: { meetings: c.meetings ?? 0, segments: c.segments ?? 0, alerts: c.alerts ?? 0, reports: c.reports ?? 0 },
      erasedAtMs: record.purgedAtMs ?? record.completedAtMs ?? this.deps.clock.now(),
      ...(record.cryptoErasedAtMs !== undefined ? { cryptoErasedAtMs: record.cryptoErasedAtMs } : {}),
      ...(record.certificateId !== undefined ? { certificateId: record.certificateId } : {}),
    };
  }
}
