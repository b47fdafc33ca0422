import type { Alert, Report, TranscriptSegment } from '@confide/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import type { MeetingRef } from '../../domain/identifiers';
import { StatusRank, type StatusRankValue } from '../../domain/meeting-status';
import type { MeetingRecordStore, MeetingStartedRecord, PurgeCounts, WriteOutcome } from '../../ports/meeting-records.port';
import { sealAlert, sealMeeting, sealReport, sealSegment } from './content.codec';
import { TenantScopedDatabase } from './tenant-scope';

/**
 * Idempotent writes of the event stream (MeetingRecordStore). One transaction per call, in
 * the event's tenant context (`withTenant`: row-level security confines it to that tenant):
 * a shared advisory lock on the meeting (purge takes it exclusively, so a purge and a late
 * event cannot interleave), the tombstone check, then ON CONFLICT inserts/upserts keyed by
 * the deterministic ids. Every statement names the tenant.
 */
export class PostgresMeetingRecordRepository implements MeetingRecordStore {
  private readonly db: TenantScopedDatabase;

  constructor(dataSource: DataSource) {
    this.db = new TenantScopedDatabase(dataSource);
  }

  recordMeetingStarted(r: MeetingStartedRecord): Promise<WriteOutcome> {
    return this.write(r, async (m) => {
      const content = await sealMeeting(ctx(r, 'meeting', r.meetingId), { title: r.title, participants: r.participants });
      await m.query(
        `INSERT INTO meetings (tenant_id, meeting_id, title, participants, status, started_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, meeting_id) DO UPDATE
           SET title = EXCLUDED.title, participants = EXCLUDED.participants,
               started_at_ms = EXCLUDED.started_at_ms,
               status = GREATEST(meetings.status, EXCLUDED.status), updated_at = now()`,
        [r.tenantId, r.meetingId, content.title, content.participants, StatusRank.active, r.startedAtMs],
      );
      return 'stored';
    });
  }

  recordMeetingEnded(ref: MeetingRef, endedAtMs: number, seenAtMs: number): Promise<WriteOutcome> {
    return this.advanceStatus(ref, StatusRank.ended, 'ended_at_ms', endedAtMs, seenAtMs);
  }

  recordTranscriptionCompleted(ref: MeetingRef, completedAtMs: number, seenAtMs: number): Promise<WriteOutcome> {
    return this.advanceStatus(ref, StatusRank.transcribed, 'transcribed_at_ms', completedAtMs, seenAtMs);
  }

  recordFinalSegment(s: TranscriptSegment, seenAtMs: number): Promise<WriteOutcome> {
    const ref = { tenantId: s.tenantId, meetingId: s.meetingId };
    return this.write(ref, async (m) => {
      await this.ensureMeeting(m, ref, seenAtMs);
      const content = await sealSegment(ctx(ref, 'segment', s.segmentId), { text: s.text, speakerLabel: s.speakerLabel });
      const inserted: unknown[] = await m.query(
        `INSERT INTO segments (tenant_id, segment_id, meeting_id, track_id, speaker_label, text, start_ms, end_ms, confidence, sequence)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, segment_id) DO NOTHING
         RETURNING segment_id`,
        [s.tenantId, s.segmentId, s.meetingId, s.trackId, content.speakerLabel, content.text, s.startMs, s.endMs, finite(s.confidence), s.sequence],
      );
      if (inserted.length === 0) return 'duplicate';
      await m.query(
        `UPDATE meetings SET segment_count = segment_count + 1, updated_at = now() WHERE tenant_id = $1 AND meeting_id = $2`,
        [ref.tenantId, ref.meetingId],
      );
      return 'stored';
    });
  }

  recordAlert(a: Alert, seenAtMs: number): Promise<WriteOutcome> {
    const ref = { tenantId: a.tenantId, meetingId: a.meetingId };
    return this.write(ref, async (m) => {
      await this.ensureMeeting(m, ref, seenAtMs);
      const content = await sealAlert(ctx(ref, 'alert', a.alertId), { message: a.message, speakerLabel: a.speakerLabel });
      const inserted: unknown[] = await m.query(
        `INSERT INTO alerts (tenant_id, alert_id, meeting_id, rule_id, severity, message, segment_id, speaker_label, start_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, alert_id) DO NOTHING
         RETURNING alert_id`,
        [a.tenantId, a.alertId, a.meetingId, a.ruleId, a.severity, content.message, a.segmentId, content.speakerLabel, a.startMs],
      );
      return inserted.length === 0 ? 'duplicate' : 'stored';
    });
  }

  recordReport(r: Report, seenAtMs: number): Promise<WriteOutcome> {
    const ref = { tenantId: r.tenantId, meetingId: r.meetingId };
    return this.write(ref, async (m) => {
      await this.ensureMeeting(m, ref, seenAtMs);
      const content = await sealReport(ctx(ref, 'report', r.meetingId), {
        summary: r.summary,
        actionItems: r.actionItems,
        decisions: r.decisions,
      });
      // A redelivered older report does not replace a newer one.
      const written: unknown[] = await m.query(
        `INSERT INTO reports (tenant_id, meeting_id, summary, action_items, decisions, engine, generated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, meeting_id) DO UPDATE
           SET summary = EXCLUDED.summary, action_items = EXCLUDED.action_items, decisions = EXCLUDED.decisions,
               engine = EXCLUDED.engine, generated_at_ms = EXCLUDED.generated_at_ms, updated_at = now()
           WHERE reports.generated_at_ms <= EXCLUDED.generated_at_ms
         RETURNING meeting_id`,
        [r.tenantId, r.meetingId, content.summary, content.actionItems, content.decisions, r.engine, r.generatedAtUnixMs],
      );
      return written.length === 0 ? 'duplicate' : 'stored';
    });
  }

  purgeMeeting(ref: MeetingRef, erasedAtMs: number): Promise<PurgeCounts> {
    return this.db.withTenant(ref.tenantId, async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [ref.tenantId, ref.meetingId]);
      const count = async (table: 'segments' | 'alerts' | 'reports' | 'meetings'): Promise<number> => {
        const rows: Array<{ n: number }> = await m.query(
          `WITH deleted AS (DELETE FROM ${table} WHERE tenant_id = $1 AND meeting_id = $2 RETURNING 1)
           SELECT count(*)::int AS n FROM deleted`,
          [ref.tenantId, ref.meetingId],
        );
        return rows[0]?.n ?? 0;
      };
      // Children first (they reference the meeting row).
      const segments = await count('segments');
      const alerts = await count('alerts');
      const reports = await count('reports');
      const meetings = await count('meetings');
      await m.query(
        `INSERT INTO erased_meetings (tenant_id, meeting_id, erased_at_ms) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, meeting_id) DO NOTHING`,
        [ref.tenantId, ref.meetingId, erasedAtMs],
      );
      return { meetings, segments, alerts, reports };
    });
  }

  private advanceStatus(
    ref: MeetingRef,
    status: StatusRankValue,
    column: 'ended_at_ms' | 'transcribed_at_ms',
    atMs: number,
    seenAtMs: number,
  ): Promise<WriteOutcome> {
    return this.write(ref, async (m) => {
      const empty = await sealMeeting(ctx(ref, 'meeting', ref.meetingId), { title: '', participants: [] });
      await m.query(
        `INSERT INTO meetings (tenant_id, meeting_id, title, participants, status, started_at_ms, ${column})
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, meeting_id) DO UPDATE
           SET ${column} = EXCLUDED.${column}, status = GREATEST(meetings.status, EXCLUDED.status), updated_at = now()`,
        [ref.tenantId, ref.meetingId, empty.title, empty.participants, status, seenAtMs, atMs],
      );
      return 'stored';
    });
  }

  /** A placeholder meeting for content that arrived before MeetingStarted. */
  private async ensureMeeting(m: EntityManager, ref: MeetingRef, seenAtMs: number): Promise<void> {
    const empty = await sealMeeting(ctx(ref, 'meeting', ref.meetingId), { title: '', participants: [] });
    await m.query(
      `INSERT INTO meetings (tenant_id, meeting_id, title, participants, status, started_at_ms)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id, meeting_id) DO NOTHING`,
      [ref.tenantId, ref.meetingId, empty.title, empty.participants, StatusRank.placeholder, seenAtMs],
    );
  }

  /** Runs `fn` in a transaction of the tenant unless the meeting is erased; resolves after the commit. */
  private write(ref: MeetingRef, fn: (m: EntityManager) => Promise<WriteOutcome>): Promise<WriteOutcome> {
    return this.db.withTenant(ref.tenantId, async (m) => {
      await m.query('SELECT pg_advisory_xact_lock_shared(hashtext($1), hashtext($2))', [ref.tenantId, ref.meetingId]);
      const erased: unknown[] = await m.query('SELECT 1 FROM erased_meetings WHERE tenant_id = $1 AND meeting_id = $2', [
        ref.tenantId,
        ref.meetingId,
      ]);
      if (erased.length > 0) return 'erased';
      return fn(m);
    });
  }
}

function ctx(ref: MeetingRef, kind: 'meeting' | 'segment' | 'alert' | 'report', recordId: string) {
  return { tenantId: ref.tenantId, meetingId: ref.meetingId, kind, recordId };
}

const finite = (n: number): number => (Number.isFinite(n) ? n : 0);
