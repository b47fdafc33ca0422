import type { ActionItem, Decision, Participant } from '@confide/contracts';

/**
 * The one place where content columns are written and read. Today the values are stored
 * as plain text (JSON for lists); the encryption task replaces these functions with
 * AES-256-GCM under the meeting key (binding tenant, meeting, record kind and id as
 * additional data), which is why they are async and take the record's identity.
 * NUL characters are dropped (PostgreSQL text cannot hold them).
 */
export interface ContentContext {
  tenantId: string;
  meetingId: string;
  /** Record kind and id, bound to the ciphertext once encrypted. */
  kind: 'meeting' | 'segment' | 'alert' | 'report';
  recordId: string;
}

export interface MeetingContent {
  title: string;
  participants: Participant[];
}

export interface SegmentContent {
  text: string;
  speakerLabel: string;
}

export interface AlertContent {
  message: string;
  speakerLabel: string;
}

export interface ReportContent {
  summary: string;
  actionItems: ActionItem[];
  decisions: Decision[];
}

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;
const clean = (value: string): string => value.replace(NUL, '');

export async function sealMeeting(_ctx: ContentContext, c: MeetingContent): Promise<{ title: string; participants: string }> {
  return {
    title: clean(c.title),
    participants: clean(JSON.stringify(c.participants.map((p) => ({ id: p.id, speakerLabel: p.speakerLabel })))),
  };
}

export async function openMeeting(_ctx: ContentContext, row: { title: string; participants: string }): Promise<MeetingContent> {
  return { title: row.title, participants: parseList(row.participants, toParticipant) };
}

export async function sealSegment(_ctx: ContentContext, c: SegmentContent): Promise<{ text: string; speakerLabel: string }> {
  return { text: clean(c.text), speakerLabel: clean(c.speakerLabel) };
}

export async function openSegment(_ctx: ContentContext, row: { text: string; speakerLabel: string }): Promise<SegmentContent> {
  return { text: row.text, speakerLabel: row.speakerLabel };
}

export async function sealAlert(_ctx: ContentContext, c: AlertContent): Promise<{ message: string; speakerLabel: string }> {
  return { message: clean(c.message), speakerLabel: clean(c.speakerLabel) };
}

export async function openAlert(_ctx: ContentContext, row: { message: string; speakerLabel: string }): Promise<AlertContent> {
  return { message: row.message, speakerLabel: row.speakerLabel };
}

export async function sealReport(
  _ctx: ContentContext,
  c: ReportContent,
): Promise<{ summary: string; actionItems: string; decisions: string }> {
  return {
    summary: clean(c.summary),
    actionItems: clean(JSON.stringify(c.actionItems.map((a) => ({ text: a.text, owner: a.owner, segmentId: a.segmentId })))),
    decisions: clean(JSON.stringify(c.decisions.map((d) => ({ text: d.text, segmentId: d.segmentId })))),
  };
}

export async function openReport(
  _ctx: ContentContext,
  row: { summary: string; actionItems: string; decisions: string },
): Promise<ReportContent> {
  return {
    summary: row.summary,
    actionItems: parseList(row.actionItems, toActionItem),
    decisions: parseList(row.decisions, toDecision),
  };
}

function parseList<T>(json: string, map: (value: Record<string, unknown>) => T): T[] {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) throw new Error('stored list is not an array');
  return parsed.map((v) => map(typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {}));
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const toParticipant = (v: Record<string, unknown>): Participant => ({ id: str(v.id), speakerLabel: str(v.speakerLabel) });
const toActionItem = (v: Record<string, unknown>): ActionItem => ({ text: str(v.text), owner: str(v.owner), segmentId: str(v.segmentId) });
const toDecision = (v: Record<string, unknown>): Decision => ({ text: str(v.text), segmentId: str(v.segmentId) });
