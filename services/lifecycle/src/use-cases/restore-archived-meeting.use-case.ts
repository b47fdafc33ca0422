import { notFound, type Clock, type Logger } from '@confide/platform';
import { parseErasureRequest } from '../domain/erasure-request';
import type { AuditLog } from '../ports/audit-log.port';
import type { StorageMaintenance } from '../ports/storage-maintenance.port';

export const RESTORE_MEETING_ACTION = 'meeting:restore';

/**
 * Restores a meeting the retention sweep archived (on request; who may is the policy's
 * business at the edge): storage clears the archive flag and the meeting is served again.
 * Audited (ids only; the reason stays out of the chain). NOT_FOUND when the tenant has no
 * archived meeting of that id.
 */
export class RestoreArchivedMeeting {
  constructor(private readonly deps: { storage: Pick<StorageMaintenance, 'restoreMeeting'>; audit: AuditLog; clock: Clock; logger: Logger }) {}

  async execute(req: { tenantId?: string; meetingId?: string; requestedBy?: string; reason?: string }): Promise<void> {
    const { tenantId, meetingId, requestedBy, reason } = parseErasureRequest(req);
    const restored = await this.deps.storage.restoreMeeting({ tenantId, meetingId });
    await this.deps.audit.append({
      tenantId,
      actor: requestedBy,
      action: RESTORE_MEETING_ACTION,
      resource: `meeting/${meetingId}`,
      outcome: restored ? 'success' : 'not-found',
      atMs: this.deps.clock.now(),
      ...(reason ? { reason } : {}),
    });
    if (!restored) throw notFound('archived meeting not found');
    this.deps.logger.info({ tenantId, meetingId }, 'archived meeting restored');
  }
}
