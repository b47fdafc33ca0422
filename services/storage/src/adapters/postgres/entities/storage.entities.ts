import { EntitySchema, type ValueTransformer } from 'typeorm';

/** bigint columns hold milliseconds (safe integers); pg returns them as strings. */
const bigintMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/**
 * Rows as stored. Content columns (title, participants, text, speaker labels, messages,
 * report summary/items) are read and written only through content.codec.ts, so that
 * encrypting them later changes one place.
 */
export interface MeetingRow {
  tenantId: string;
  meetingId: string;
  title: string;
  participants: string;
  status: number;
  startedAtMs: number;
  endedAtMs: number | null;
  transcribedAtMs: number | null;
  segmentCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface SegmentRow {
  tenantId: string;
  segmentId: string;
  meetingId: string;
  trackId: string;
  speakerLabel: string;
  text: string;
  startMs: number;
  endMs: number;
  confidence: number;
  sequence: number;
  createdAt: Date;
}

export interface AlertRow {
  tenantId: string;
  alertId: string;
  meetingId: string;
  ruleId: string;
  severity: number;
  message: string;
  segmentId: string;
  speakerLabel: string;
  startMs: number;
  createdAt: Date;
}

export interface ReportRow {
  tenantId: string;
  meetingId: string;
  summary: string;
  actionItems: string;
  decisions: string;
  engine: string;
  generatedAtMs: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ErasedMeetingRow {
  tenantId: string;
  meetingId: string;
  erasedAtMs: number;
  createdAt: Date;
}

export const MeetingEntity = new EntitySchema<MeetingRow>({
  name: 'Meeting',
  tableName: 'meetings',
  columns: {
    tenantId: { name: 'tenant_id', type: 'text', primary: true },
    meetingId: { name: 'meeting_id', type: 'text', primary: true },
    title: { type: 'text' },
    participants: { type: 'text' },
    status: { type: 'smallint' },
    startedAtMs: { name: 'started_at_ms', type: 'bigint', transformer: bigintMs },
    endedAtMs: { name: 'ended_at_ms', type: 'bigint', nullable: true, transformer: bigintMs },
    transcribedAtMs: { name: 'transcribed_at_ms', type: 'bigint', nullable: true, transformer: bigintMs },
    segmentCount: { name: 'segment_count', type: 'integer' },
    createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
  },
});

export const SegmentEntity = new EntitySchema<SegmentRow>({
  name: 'Segment',
  tableName: 'segments',
  columns: {
    tenantId: { name: 'tenant_id', type: 'text', primary: true },
    segmentId: { name: 'segment_id', type: 'text', primary: true },
    meetingId: { name: 'meeting_id', type: 'text' },
    trackId: { name: 'track_id', type: 'text' },
    speakerLabel: { name: 'speaker_label', type: 'text' },
    text: { type: 'text' },
    startMs: { name: 'start_ms', type: 'bigint', transformer: bigintMs },
    endMs: { name: 'end_ms', type: 'bigint', transformer: bigintMs },
    confidence: { type: 'real' },
    sequence: { type: 'bigint', transformer: bigintMs },
    createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
  },
});

export const AlertEntity = new EntitySchema<AlertRow>({
  name: 'Alert',
  tableName: 'alerts',
  columns: {
    tenantId: { name: 'tenant_id', type: 'text', primary: true },
    alertId: { name: 'alert_id', type: 'text', primary: true },
    meetingId: { name: 'meeting_id', type: 'text' },
    ruleId: { name: 'rule_id', type: 'text' },
    severity: { type: 'smallint' },
    message: { type: 'text' },
    segmentId: { name: 'segment_id', type: 'text' },
    speakerLabel: { name: 'speaker_label', type: 'text' },
    startMs: { name: 'start_ms', type: 'bigint', transformer: bigintMs },
    createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
  },
});

export const ReportEntity = new EntitySchema<ReportRow>({
  name: 'Report',
  tableName: 'reports',
  columns: {
    tenantId: { name: 'tenant_id', type: 'text', primary: true },
    meetingId: { name: 'meeting_id', type: 'text', primary: true },
    summary: { type: 'text' },
    actionItems: { name: 'action_items', type: 'text' },
    decisions: { type: 'text' },
    engine: { type: 'text' },
    generatedAtMs: { name: 'generated_at_ms', type: 'bigint', transformer: bigintMs },
    createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
  },
});

export const ErasedMeetingEntity = new EntitySchema<ErasedMeetingRow>({
  name: 'ErasedMeeting',
  tableName: 'erased_meetings',
  columns: {
    tenantId: { name: 'tenant_id', type: 'text', primary: true },
    meetingId: { name: 'meeting_id', type: 'text', primary: true },
    erasedAtMs: { name: 'erased_at_ms', type: 'bigint', transformer: bigintMs },
    createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
  },
});

export const storageEntities = [MeetingEntity, SegmentEntity, AlertEntity, ReportEntity, ErasedMeetingEntity];
