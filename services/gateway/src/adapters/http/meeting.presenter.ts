import {
  AlertSeverity,
  MeetingStatus,
  type Alert,
  type DeleteMeetingResponse,
  type Meeting,
  type Report,
  type TranscriptSegment,
} from '@confide/contracts';

/**
 * The public JSON shapes, mapped field by field from the protos: camelCase, enums as
 * lowercase words, times as ISO 8601 strings (null when unset). Nothing else leaks out
 * (tenant ids, track ids, confidences and internal sequence numbers stay inside).
 */

export interface MeetingJson {
  meetingId: string;
  title: string;
  status: 'active' | 'ended' | 'transcribed' | 'unknown';
  participants: Array<{ id: string; speakerLabel: string }>;
  startedAt: string | null;
  endedAt: string | null;
  segmentCount: number;
}

export interface SegmentJson {
  segmentId: string;
  speaker: string;
  text: string;
  startMs: number;
  endMs: number;
}

export interface AlertJson {
  alertId: string;
  ruleId: string;
  severity: 'info' | 'warning' | 'critical' | 'unknown';
  message: string;
  segmentId: string;
  speaker: string;
  startMs: number;
}

export interface ReportJson {
  meetingId: string;
  summary: string;
  actionItems: Array<{ text: string; owner: string; segmentId: string }>;
  decisions: Array<{ text: string; segmentId: string }>;
  engine: string;
  generatedAt: string | null;
}

export interface ErasureJson {
  meetingId: string;
  erased: { meetings: number; segments: number; alerts: number; reports: number };
  erasedAt: string | null;
}

const isoOrNull = (unixMs: number): string | null => (unixMs > 0 ? new Date(unixMs).toISOString() : null);

function meetingStatus(status: MeetingStatus): MeetingJson['status'] {
  switch (status) {
    case MeetingStatus.MEETING_STATUS_ACTIVE:
      return 'active';
    case MeetingStatus.MEETING_STATUS_ENDED:
      return 'ended';
    case MeetingStatus.MEETING_STATUS_TRANSCRIBED:
      return 'transcribed';
    default:
      return 'unknown';
  }
}

function alertSeverity(severity: AlertSeverity): AlertJson['severity'] {
  switch (severity) {
    case AlertSeverity.ALERT_SEVERITY_INFO:
      return 'info';
    case AlertSeverity.ALERT_SEVERITY_WARNING:
      return 'warning';
    case AlertSeverity.ALERT_SEVERITY_CRITICAL:
      return 'critical';
    default:
      return 'unknown';
  }
}

export function presentMeeting(m: Meeting): MeetingJson {
  return {
    meetingId: m.meetingId,
    title: m.title,
    status: meetingStatus(m.status),
    participants: m.participants.map((p) => ({ id: p.id, speakerLabel: p.speakerLabel })),
    startedAt: isoOrNull(m.startedAtUnixMs),
    endedAt: isoOrNull(m.endedAtUnixMs),
    segmentCount: m.segmentCount,
  };
}

export function presentSegment(s: TranscriptSegment): SegmentJson {
  return { segmentId: s.segmentId, speaker: s.speakerLabel, text: s.text, startMs: s.startMs, endMs: s.endMs };
}

export function presentAlert(a: Alert): AlertJson {
  return {
    alertId: a.alertId,
    ruleId: a.ruleId,
    severity: alertSeverity(a.severity),
    message: a.message,
    segmentId: a.segmentId,
    speaker: a.speakerLabel,
    startMs: a.startMs,
  };
}

export function presentReport(r: Report): ReportJson {
  return {
    meetingId: r.meetingId,
    summary: r.summary,
    actionItems: r.actionItems.map((i) => ({ text: i.text, owner: i.owner, segmentId: i.segmentId })),
    decisions: r.decisions.map((d) => ({ text: d.text, segmentId: d.segmentId })),
    engine: r.engine,
    generatedAt: isoOrNull(r.generatedAtUnixMs),
  };
}

export function presentErasure(r: DeleteMeetingResponse): ErasureJson {
  const e = r.erased;
  return {
    meetingId: r.meetingId,
    erased: { meetings: e?.meetings ?? 0, segments: e?.segments ?? 0, alerts: e?.alerts ?? 0, reports: e?.reports ?? 0 },
    erasedAt: isoOrNull(r.erasedAtUnixMs),
  };
}
