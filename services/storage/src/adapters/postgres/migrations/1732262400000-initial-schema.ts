import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * meetings, segments (finals only), alerts, reports, erased_meetings (tombstones).
 * Every table leads with tenant_id; primary keys are the deterministic ids of the event
 * stream, so redelivered events collapse (ON CONFLICT). Content rows reference their
 * meeting (a placeholder meeting row is created when content arrives first).
 * Millisecond columns are bigint (uint32 offsets and unix ms both fit).
 */
export class InitialSchema1732262400000 implements MigrationInterface {
  readonly name = 'InitialSchema1732262400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE meetings (
        tenant_id         text        NOT NULL,
        meeting_id        text        NOT NULL,
        title             text        NOT NULL DEFAULT '',
        participants      text        NOT NULL DEFAULT '[]',
        status            smallint    NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 3),
        started_at_ms     bigint      NOT NULL,
        ended_at_ms       bigint,
        transcribed_at_ms bigint,
        segment_count     integer     NOT NULL DEFAULT 0 CHECK (segment_count >= 0),
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_meetings PRIMARY KEY (tenant_id, meeting_id)
      )`);
    await q.query(`CREATE INDEX ix_meetings_tenant_started ON meetings (tenant_id, started_at_ms DESC, meeting_id DESC)`);

    await q.query(`
      CREATE TABLE segments (
        tenant_id     text        NOT NULL,
        segment_id    text        NOT NULL,
        meeting_id    text        NOT NULL,
        track_id      text        NOT NULL,
        speaker_label text        NOT NULL DEFAULT '',
        text          text        NOT NULL,
        start_ms      bigint      NOT NULL,
        end_ms        bigint      NOT NULL,
        confidence    real        NOT NULL DEFAULT 0,
        sequence      bigint      NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_segments PRIMARY KEY (tenant_id, segment_id),
        CONSTRAINT fk_segments_meeting FOREIGN KEY (tenant_id, meeting_id) REFERENCES meetings (tenant_id, meeting_id)
      )`);
    await q.query(`CREATE INDEX ix_segments_meeting_time ON segments (tenant_id, meeting_id, start_ms, track_id, sequence)`);

    await q.query(`
      CREATE TABLE alerts (
        tenant_id     text        NOT NULL,
        alert_id      text        NOT NULL,
        meeting_id    text        NOT NULL,
        rule_id       text        NOT NULL,
        severity      smallint    NOT NULL DEFAULT 0,
        message       text        NOT NULL,
        segment_id    text        NOT NULL DEFAULT '',
        speaker_label text        NOT NULL DEFAULT '',
        start_ms      bigint      NOT NULL DEFAULT 0,
        created_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_alerts PRIMARY KEY (tenant_id, alert_id),
        CONSTRAINT fk_alerts_meeting FOREIGN KEY (tenant_id, meeting_id) REFERENCES meetings (tenant_id, meeting_id)
      )`);
    await q.query(`CREATE INDEX ix_alerts_meeting_time ON alerts (tenant_id, meeting_id, start_ms, alert_id)`);

    await q.query(`
      CREATE TABLE reports (
        tenant_id       text        NOT NULL,
        meeting_id      text        NOT NULL,
        summary         text        NOT NULL,
        action_items    text        NOT NULL,
        decisions       text        NOT NULL,
        engine          text        NOT NULL DEFAULT '',
        generated_at_ms bigint      NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_reports PRIMARY KEY (tenant_id, meeting_id),
        CONSTRAINT fk_reports_meeting FOREIGN KEY (tenant_id, meeting_id) REFERENCES meetings (tenant_id, meeting_id)
      )`);

    await q.query(`
      CREATE TABLE erased_meetings (
        tenant_id    text        NOT NULL,
        meeting_id   text        NOT NULL,
        erased_at_ms bigint      NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_erased_meetings PRIMARY KEY (tenant_id, meeting_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE erased_meetings');
    await q.query('DROP TABLE reports');
    await q.query('DROP TABLE alerts');
    await q.query('DROP TABLE segments');
    await q.query('DROP TABLE meetings');
  }
}
