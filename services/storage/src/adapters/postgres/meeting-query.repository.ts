import type { Alert, Meeting, Report, TranscriptSegment } from '@confide/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import type { MeetingRef } from '../../domain/identifiers';
import { statusToProto } from '../../domain/meeting-status';
import type { MeetingCursor } from '../../domain/page-token';
import type { MeetingQueries } from '../../ports/meeting-queries.port';
import { openAlert, openMeeting, openReport, openSegment } from './content.codec';
import { TenantScopedDatabase } from './tenant-scope';
import {
  AlertEntity,
  MeetingEntity,
  ReportEntity,
  SegmentEntity,
  type AlertRow,
  type MeetingRow,
  type ReportRow,
  type SegmentRow,
} from './entities/storage.entities';

/** Archived meetings (retention, docs/adr/0012-retention.md) are hidden from every normal read. */
const NOT_ARCHIVED = 'm.archived_at_ms IS NULL';

/**
 * Tenant-scoped reads (MeetingQueries). Every query runs in the tenant's context
 * (`withTenant`: row-level security) and still filters on tenant_id. Archived meetings and
 * their content are not served (restored on request through StorageMaintenanceService).
 */
export class PostgresMeetingQueryRepository implements MeetingQueries {
  private readonly db: TenantScopedDatabase;

  constructor(dataSource: DataSource) {
    this.db = new TenantScopedDatabase(dataSource);
  }

  async listMeetings(tenantId: string, limit: number, after?: MeetingCursor): Promise<Meeting[]> {
    const rows = await this.db.withTenant(tenantId, (m) => {
      const qb = m.getRepository(MeetingEntity).createQueryBuilder('m').where('m.tenant_id = :tenantId', { tenantId }).andWhere(NOT_ARCHIVED);
      if (after) {
        qb.andWhere('(m.started_at_ms, m.meeting_id) < (:afterStartedAtMs, :afterMeetingId)', {
          afterStartedAtMs: after.startedAtMs,
          afterMeetingId: after.meetingId,
        });
      }
      return qb.orderBy('m.started_at_ms', 'DESC').addOrderBy('m.meeting_id', 'DESC').limit(limit).getMany();
    });
    return Promise.all(rows.map(toMeeting));
  }

  async getMeeting(ref: MeetingRef): Promise<Meeting | undefined> {
    const row = await this.db.withTenant(ref.tenantId, (m) => visibleMeeting(m, ref).getOne());
    return row ? toMeeting(row) : undefined;
  }

  getTranscript(ref: MeetingRef): Promise<TranscriptSegment[] | undefined> {
    return this.withMeeting(ref, async (m) => {
      const rows = await m.getRepository(SegmentEntity).find({
        where: { tenantId: ref.tenantId, meetingId: ref.meetingId },
        order: { startMs: 'ASC', trackId: 'ASC', sequence: 'ASC', segmentId: 'ASC' },
      });
      return Promise.all(rows.map(toSegment));
    });
  }

  listAlerts(ref: MeetingRef): Promise<Alert[] | undefined> {
    return this.withMeeting(ref, async (m) => {
      const rows = await m.getRepository(AlertEntity).find({
        where: { tenantId: ref.tenantId, meetingId: ref.meetingId },
        order: { startMs: 'ASC', alertId: 'ASC' },
      });
      return Promise.all(rows.map(toAlert));
    });
  }

  async getReport(ref: MeetingRef): Promise<Report | undefined> {
    const row = await this.db.withTenant(ref.tenantId, async (m) =>
      (await visibleMeeting(m, ref).getExists()) ? m.getRepository(ReportEntity).findOneBy({ tenantId: ref.tenantId, meetingId: ref.meetingId }) : null,
    );
    return row ? toReport(row) : undefined;
  }

  /** `fn` in one snapshot with the meeting's existence; undefined when the tenant has no such meeting. */
  private withMeeting<T>(ref: MeetingRef, fn: (m: EntityManager) => Promise<T>): Promise<T | undefined> {
    return this.db.withTenant(ref.tenantId, async (m) => {
      const exists = await visibleMeeting(m, ref).getExists();
      return exists ? fn(m) : undefined;
    }, 'REPEATABLE READ');
  }
}

/** The meeting of `ref` unless it is archived. */
function visibleMeeting(m: EntityManager, ref: MeetingRef) {
  return m
    .getRepository(MeetingEntity)
    .createQueryBuilder('m')
    .where('m.tenant_id = :tenantId AND m.meeting_id = :meetingId', { tenantId: ref.tenantId, meetingId: ref.meetingId })
    .andWhere(NOT_ARCHIVED);
}

async function toMeeting(row: MeetingRow): Promise<Meeting> {
  const content = await openMeeting({ tenantId: row.tenantId, meetingId: row.meetingId, kind: 'meeting', recordId: row.meetingId }, row);
  return {
    meetingId: row.meetingId,
    tenantId: row.tenantId,
    title: content.title,
    participants: content.participants,
    status: statusToProto(row.status),
    startedAtUnixMs: row.startedAtMs,
    endedAtUnixMs: row.endedAtMs ?? 0,
    segmentCount: row.segmentCount,
  };
}

async function toSegment(row: SegmentRow): Promise<TranscriptSegment> {
  const content = await openSegment({ tenantId: row.tenantId, meetingId: row.meetingId, kind: 'segment', recordId: row.segmentId }, row);
  return {
    segmentId: row.segmentId,
    meetingId: row.meetingId,
    tenantId: row.tenantId,
    trackId: row.trackId,
    speakerLabel: content.speakerLabel,
    text: content.text,
    startMs: row.startMs,
    endMs: row.endMs,
    isFinal: true,
    confidence: row.confidence,
    sequence: row.sequence,
  };
}

async function toAlert(row: AlertRow): Promise<Alert> {
  const content = await openAlert({ tenantId: row.tenantId, meetingId: row.meetingId, kind: 'alert', recordId: row.alertId }, row);
  return {
    alertId: row.alertId,
    meetingId: row.meetingId,
    tenantId: row.tenantId,
    ruleId: row.ruleId,
    severity: row.severity,
    message: content.message,
    segmentId: row.segmentId,
    speakerLabel: content.speakerLabel,
    startMs: row.startMs,
  };
}

async function toReport(row: ReportRow): Promise<Report> {
  const content = await openReport({ tenantId: row.tenantId, meetingId: row.meetingId, kind: 'report', recordId: row.meetingId }, row);
  return {
    meetingId: row.meetingId,
    tenantId: row.tenantId,
    summary: content.summary,
    actionItems: content.actionItems,
    decisions: content.decisions,
    engine: row.engine,
    generatedAtUnixMs: row.generatedAtMs,
  };
}
