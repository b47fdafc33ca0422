import { invalidArgument, type Clock, type Logger } from '@confide/platform';
import { requireId, requireMeetingRef } from '../domain/identifiers';
import type {
  ExpiredMeetingRow,
  MeetingMaintenanceStore,
  ParticipantPurgeCounts,
  TenantPurgeCounts,
} from '../ports/meeting-maintenance.port';

export const DEFAULT_MAINTENANCE_PAGE_SIZE = 100;
export const MAX_MAINTENANCE_PAGE_SIZE = 1000;

const pageSize = (requested: number | undefined): number =>
  !requested ? DEFAULT_MAINTENANCE_PAGE_SIZE : Math.min(Math.max(1, Math.floor(requested)), MAX_MAINTENANCE_PAGE_SIZE);

function requireCutoff(value: number | undefined): number {
  if (value === undefined || !Number.isSafeInteger(value) || value <= 0) throw invalidArgument('ended_before_unix_ms must be a positive unix time in ms');
  return value;
}

/**
 * The maintenance operations lifecycle drives (StorageMaintenanceService,
 * docs/adr/0012-retention.md): tenant listing, retention and audio-key deadline listings,
 * archive/restore, tenant and participant purges. Inputs validated here (fields named, never
 * values); logs carry ids and counts only.
 */
export class MaintainMeetings {
  constructor(private readonly deps: { store: MeetingMaintenanceStore; clock: Clock; logger: Logger }) {}

  listTenants(req: { pageSize?: number; afterTenantId?: string }): Promise<string[]> {
    const after = req.afterTenantId ?? '';
    if (after.length > 0) requireId('after_tenant_id', after);
    return this.deps.store.listTenants(after, pageSize(req.pageSize));
  }

  listExpired(req: { tenantId?: string; endedBeforeUnixMs?: number; pageSize?: number; includeArchived?: boolean }): Promise<ExpiredMeetingRow[]> {
    const tenantId = requireId('tenant_id', req.tenantId);
    return this.deps.store.listExpired(tenantId, requireCutoff(req.endedBeforeUnixMs), pageSize(req.pageSize), req.includeArchived ?? false);
  }

  listAudioKeysDue(req: { tenantId?: string; endedBeforeUnixMs?: number; pageSize?: number }): Promise<string[]> {
    const tenantId = requireId('tenant_id', req.tenantId);
    return this.deps.store.listAudioKeysDue(tenantId, requireCutoff(req.endedBeforeUnixMs), pageSize(req.pageSize));
  }

  async archive(req: { tenantId?: string; meetingId?: string }): Promise<boolean> {
    const ref = requireMeetingRef(req);
    const archived = await this.deps.store.archive(ref, this.deps.clock.now());
    this.deps.logger.info({ ...ref, archived }, 'meeting archived');
    return archived;
  }

  async restore(req: { tenantId?: string; meetingId?: string }): Promise<boolean> {
    const ref = requireMeetingRef(req);
    const restored = await this.deps.store.restore(ref);
    this.deps.logger.info({ ...ref, restored }, 'meeting restored');
    return restored;
  }

  async purgeTenant(req: { tenantId?: string }): Promise<TenantPurgeCounts> {
    const tenantId = requireId('tenant_id', req.tenantId);
    const counts = await this.deps.store.purgeTenant(tenantId, this.deps.clock.now());
    this.deps.logger.info({ tenantId, deleted: counts }, 'tenant purged');
    return counts;
  }

  async purgeParticipant(req: { tenantId?: string; participantId?: string }): Promise<ParticipantPurgeCounts> {
    const tenantId = requireId('tenant_id', req.tenantId);
    const participantId = requireId('participant_id', req.participantId);
    const counts = await this.deps.store.purgeParticipant(tenantId, participantId);
    this.deps.logger.info({ tenantId, deleted: counts }, 'participant purged');
    return counts;
  }
}
