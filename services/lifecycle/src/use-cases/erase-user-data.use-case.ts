import { randomUUID } from 'node:crypto';
import type { Clock, IdGenerator, Logger } from '@confide/platform';
import { requireSubjectId } from '../domain/erasure';
import { parseErasureRequest } from '../domain/erasure-request';
import type { AuditLog } from '../ports/audit-log.port';
import type { ResumableErasureLog } from '../ports/erasure-certifier.port';
import type { ErasureRequests } from '../ports/erasure-requests.port';
import type { UserErasureEventPublisher } from '../ports/erasure-events.port';
import type { StorageMaintenance } from '../ports/storage-maintenance.port';
import { runErasure } from './run-erasure';

export const ERASE_USER_DATA_ACTION = 'user:erase-data';

export interface EraseUserDataResult {
  userId: string;
  meetingsAffected: number;
  segments: number;
  alerts: number;
  purgedAtMs: number;
  certificateId: string;
}

/**
 * Erases one user's data (`DELETE /api/users/:id/data`): what the data model attributes to a
 * person is the transcript of their audio track — segments carry `track_id` = the participant
 * id (plaintext column; text and speaker label are encrypted) — and the alerts raised on those
 * segments. Meetings have no organizer column, so meetings, reports and other participants'
 * segments are kept (they are other people's data too; the certificate says so). There is no
 * per-user key (a meeting key covers every participant), so this erasure is a physical purge
 * with `crypto_erased_at: null`; ciphertext copies on Kafka stay decryptable until the meeting
 * key is destroyed (meeting erasure, retention) or the topic's retention drops them
 * (docs/adr/0012-retention.md). Through the erasure outbox: retry-safe, one certificate. After
 * the certificate, UserDataErasedEvent is published to confide.lifecycle.v1 (`events`): the
 * tombstone a database restore re-applies (ADR 0013); a failed publish leaves the erasure pending
 * and its retry (or the scheduler's resume sweep) publishes it.
 */
export class EraseUserData {
  private readonly ids: IdGenerator;

  constructor(
    private readonly deps: {
      storage: Pick<StorageMaintenance, 'purgeParticipant'>;
      requests: ErasureRequests;
      erasures: ResumableErasureLog;
      audit: AuditLog;
      clock: Clock;
      logger: Logger;
      ids?: IdGenerator;
      /** The tombstone on the bus; without it (unit compositions) nothing is announced. */
      events?: UserErasureEventPublisher;
    },
  ) {
    this.ids = deps.ids ?? { newId: () => randomUUID() };
  }

  async execute(req: { tenantId?: string; userId?: string; requestedBy?: string; reason?: string }): Promise<EraseUserDataResult> {
    const { tenantId, requestedBy, reason } = parseErasureRequest({ ...req, meetingId: '-' });
    const userId = requireSubjectId('user_id', req.userId);
    const { storage, events, clock } = this.deps;
    let affected = 0;
    const { record } = await runErasure(
      { requests: this.deps.requests, erasures: this.deps.erasures, audit: this.deps.audit, clock: this.deps.clock, ids: this.ids, logger: this.deps.logger },
      { tenantId, subject: { kind: 'user', userId }, requestedBy, reason, action: ERASE_USER_DATA_ACTION, resource: `user/${userId}` },
      {
        cryptoErase: async () => ({ keysDestroyed: 0, keyRefs: [], skipped: true }),
        async purge() {
          const c = await storage.purgeParticipant(tenantId, userId);
          affected = c.meetingsAffected;
          return { segments: c.segments, alerts: c.alerts };
        },
        ...(events
          ? {
              announce: (r: { erasureId: string; requestedBy: string; purgedAtMs?: number }) =>
                events.userDataErased({ tenantId, userId, requestedBy: r.requestedBy, erasedAtMs: r.purgedAtMs ?? clock.now(), erasureId: r.erasureId }),
            }
          : {}),
      },
    );
    return {
      userId,
      meetingsAffected: affected,
      segments: record.counts?.segments ?? 0,
      alerts: record.counts?.alerts ?? 0,
      purgedAtMs: record.purgedAtMs ?? 0,
      certificateId: record.certificateId ?? record.erasureId,
    };
  }
}
