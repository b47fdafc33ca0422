import type { DataSource, EntityManager } from 'typeorm';
import type { MeetingRef } from '../../domain/identifiers';
import type {
  ExpiredMeetingRow,
  MeetingMaintenanceStore,
  ParticipantPurgeCounts,
  TenantPurgeCounts,
} from '../../ports/meeting-maintenance.port';
import { TenantScopedDatabase } from './tenant-scope';

const n = (v: unknown): number => Number(v ?? 0);

/**
 * MeetingMaintenanceStore over PostgreSQL (docs/adr/0012-retention.md). The tenant registry
 * (`tenants`: ids only, not tenant-scoped, no RLS) is read without a tenant; every other statement runs in
 * `withTenant` (row-level security) and still names the tenant.
 */
export class PostgresMeetingMaintenanceRepository implements MeetingMaintenanceStore {
  private readonly db: TenantScopedDatabase;

  constructor(private readonly dataSource: DataSource) {
    this.db = new TenantScopedDatabase(dataSource);
  }

  async listTenants(afterTenantId: string, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query('SELECT id FROM tenants WHERE id > $1 ORDER BY id LIMIT $2', [afterTenantId, limit]);
    return rows.map((r) => r.id);
  }

  listExpired(tenantId: string, endedBeforeMs: number, limit: number, includeArchived: boolean): Promise<ExpiredMeetingRow[]> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows: Array<{ meeting_id: string; ended_at_ms: string; archived_at_ms: string | null }> = await m.query(
        `SELECT meeting_id, ended_at_ms, archived_at_ms FROM meetings
          WHERE tenant_id = $1 AND ended_at_ms IS NOT NULL AND ended_at_ms <= $2
            AND ($3::boolean OR archived_at_ms IS NULL)
          ORDER BY ended_at_ms, meeting_id
          LIMIT $4`,
        [tenantId, endedBeforeMs, includeArchived, limit],
      );
      return rows.map((r) => ({
        meetingId: r.meeting_id,
        endedAtMs: n(r.ended_at_ms),
        ...(r.archived_at_ms === null ? {} : { archivedAtMs: n(r.archived_at_ms) }),
      }));
    });
  }

  listAudioKeysDue(tenantId: string, endedBeforeMs: number, limit: number): Promise<string[]> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows: Array<{ meeting_id: string }> = await m.query(
        `SELECT m.meeting_id FROM meetings m
           JOIN data_keys k ON k.tenant_id = m.tenant_id AND k.meeting_id = m.meeting_id AND k.purpose = 'audio'
          WHERE m.tenant_id = $1 AND m.ended_at_ms IS NOT NULL AND m.ended_at_ms <= $2 AND k.destroyed_at IS NULL
          ORDER BY m.ended_at_ms, m.meeting_id
          LIMIT $3`,
        [tenantId, endedBeforeMs, limit],
      );
      return rows.map((r) => r.meeting_id);
    });
  }

  archive(ref: MeetingRef, atMs: number): Promise<boolean> {
    return this.db.withTenant(ref.tenantId, async (m) => {
      const rows: unknown[] = await m.query(
        `UPDATE meetings SET archived_at_ms = $3, updated_at = now()
          WHERE tenant_id = $1 AND meeting_id = $2 AND archived_at_ms IS NULL RETURNING meeting_id`,
        [ref.tenantId, ref.meetingId, atMs],
      );
      return updatedRows(rows) > 0;
    });
  }

  restore(ref: MeetingRef): Promise<boolean> {
    return this.db.withTenant(ref.tenantId, async (m) => {
      const rows: unknown[] = await m.query(
        `UPDATE meetings SET archived_at_ms = NULL, updated_at = now()
          WHERE tenant_id = $1 AND meeting_id = $2 AND archived_at_ms IS NOT NULL RETURNING meeting_id`,
        [ref.tenantId, ref.meetingId],
      );
      return updatedRows(rows) > 0;
    });
  }

  /**
   * One transaction: the tenant tombstone, a tombstone per meeting (late events of those
   * meetings are then dropped by the writers), every content row deleted, every data key
   * destroyed (wrapped key removed, tombstone kept). Idempotent: a second call counts zeros.
   */
  purgeTenant(tenantId: string, erasedAtMs: number): Promise<TenantPurgeCounts> {
    return this.db.withTenant(tenantId, async (m) => {
      await m.query(
        `INSERT INTO erased_tenants (tenant_id, erased_at_ms) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING`,
        [tenantId, erasedAtMs],
      );
      await m.query(
        `INSERT INTO erased_meetings (tenant_id, meeting_id, erased_at_ms)
         SELECT tenant_id, meeting_id, $2 FROM meetings WHERE tenant_id = $1
         ON CONFLICT (tenant_id, meeting_id) DO NOTHING`,
        [tenantId, erasedAtMs],
      );
      const del = async (table: 'segments' | 'alerts' | 'reports' | 'meetings'): Promise<number> => countOf(
        m,
        `WITH deleted AS (DELETE FROM ${table} WHERE tenant_id = $1 RETURNING 1) SELECT count(*)::int AS n FROM deleted`,
        [tenantId],
      );
      const segments = await del('segments');
      const alerts = await del('alerts');
      const reports = await del('reports');
      const meetings = await del('meetings');
      const dataKeys = await countOf(
        m,
        `WITH destroyed AS (
           UPDATE data_keys SET wrapped = NULL, destroyed_at = COALESCE(destroyed_at, now())
            WHERE tenant_id = $1 AND destroyed_at IS NULL RETURNING 1)
         SELECT count(*)::int AS n FROM destroyed`,
        [tenantId],
      );
      return { meetings, segments, alerts, reports, dataKeys };
    });
  }

  /**
   * Deletes the segments of the participant's track (track_id = participant id) in every
   * meeting of the tenant, the alerts raised on them, and corrects the meetings' segment
   * counts. Each affected meeting is locked exclusively (as PurgeMeeting does) so a late
   * segment cannot interleave. Idempotent.
   */
  purgeParticipant(tenantId: string, participantId: string): Promise<ParticipantPurgeCounts> {
    return this.db.withTenant(tenantId, async (m) => {
      const meetings: Array<{ meeting_id: string }> = await m.query(
        'SELECT DISTINCT meeting_id FROM segments WHERE tenant_id = $1 AND track_id = $2 ORDER BY meeting_id',
        [tenantId, participantId],
      );
      let segments = 0;
      let alerts = 0;
      for (const { meeting_id: meetingId } of meetings) {
        await m.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [tenantId, meetingId]);
        alerts += await countOf(
          m,
          `WITH deleted AS (
             DELETE FROM alerts a USING segments s
              WHERE a.tenant_id = $1 AND a.meeting_id = $2 AND s.tenant_id = a.tenant_id AND s.segment_id = a.segment_id AND s.track_id = $3
              RETURNING 1)
           SELECT count(*)::int AS n FROM deleted`,
          [tenantId, meetingId, participantId],
        );
        const removed = await countOf(
          m,
          `WITH deleted AS (DELETE FROM segments WHERE tenant_id = $1 AND meeting_id = $2 AND track_id = $3 RETURNING 1)
           SELECT count(*)::int AS n FROM deleted`,
          [tenantId, meetingId, participantId],
        );
        await m.query(
          `UPDATE meetings SET segment_count = GREATEST(segment_count - $3, 0), updated_at = now() WHERE tenant_id = $1 AND meeting_id = $2`,
          [tenantId, meetingId, removed],
        );
        segments += removed;
      }
      return { meetingsAffected: meetings.length, segments, alerts };
    });
  }
}

async function countOf(m: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const rows: Array<{ n: number }> = await m.query(sql, params);
  return rows[0]?.n ?? 0;
}

/** Rows of an `UPDATE .. RETURNING` through TypeORM's pg driver (`[rows, count]` or rows). */
function updatedRows(result: unknown[]): number {
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return result.length;
}
