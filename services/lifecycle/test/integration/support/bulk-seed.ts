import { TenantScopedDatabase } from '@confide/storage-service';
import type { DataSource } from 'typeorm';
// Storage's encrypted content path (the same functions its repositories call; keys bound by the module).
import { sealMeeting, sealSegment } from '../../../../storage/src/adapters/postgres/content.codec';

const BATCH = 1000;

/**
 * Writes `meetings` ended meetings of `segmentsPerMeeting` final segments each, sealed through
 * storage's content codec (AES-256-GCM under each meeting's data key, created in the KMS on first
 * use) and inserted as the application role under RLS in batches of 1000 rows (`unnest`), so
 * 10,000+ segments are written in seconds rather than one transaction per event.
 */
export async function seedTenantBulk(
  storageData: DataSource,
  tenantId: string,
  opts: { meetings: number; segmentsPerMeeting: number; endedAtMs: number; meetingPrefix?: string },
): Promise<string[]> {
  const db = new TenantScopedDatabase(storageData);
  const meetingIds: string[] = [];
  for (let mi = 1; mi <= opts.meetings; mi++) {
    const meetingId = `${opts.meetingPrefix ?? 'm'}-${mi}`;
    meetingIds.push(meetingId);
    const content = await sealMeeting(
      { tenantId, meetingId, kind: 'meeting', recordId: meetingId },
      { title: `Board meeting ${mi}`, participants: [{ id: 'p1', speakerLabel: 'Speaker p1' }] },
    );
    await db.withTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO meetings (tenant_id, meeting_id, title, participants, status, started_at_ms, ended_at_ms, segment_count)
         VALUES ($1, $2, $3, $4, 2, $5, $6, $7)`,
        [tenantId, meetingId, content.title, content.participants, opts.endedAtMs - 3_600_000, opts.endedAtMs, opts.segmentsPerMeeting],
      ),
    );
    for (let from = 1; from <= opts.segmentsPerMeeting; from += BATCH) {
      const to = Math.min(opts.segmentsPerMeeting, from + BATCH - 1);
      const ids: string[] = [];
      const texts: string[] = [];
      const speakers: string[] = [];
      const starts: number[] = [];
      const seqs: number[] = [];
      const sealed = await Promise.all(
        Array.from({ length: to - from + 1 }, (_, k) => {
          const i = from + k;
          const segmentId = `${meetingId}:p1:${i}`;
          ids.push(segmentId);
          starts.push(i * 1000);
          seqs.push(i);
          return sealSegment({ tenantId, meetingId, kind: 'segment', recordId: segmentId }, { text: `confidential sentence number ${i}`, speakerLabel: 'Speaker p1' });
        }),
      );
      for (const s of sealed) {
        texts.push(s.text);
        speakers.push(s.speakerLabel);
      }
      await db.withTenant(tenantId, (m) =>
        m.query(
          `INSERT INTO segments (tenant_id, segment_id, meeting_id, track_id, speaker_label, text, start_ms, end_ms, confidence, sequence)
           SELECT $1, u.id, $2, 'p1', u.speaker, u.text, u.start, u.start + 900, 0.9, u.seq
             FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[]) AS u(id, speaker, text, start, seq)`,
          [tenantId, meetingId, ids, speakers, texts, starts, seqs],
        ),
      );
    }
  }
  return meetingIds;
}
