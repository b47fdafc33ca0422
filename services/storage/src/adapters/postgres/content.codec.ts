import type { ActionItem, Decision, Participant } from '@confide/contracts';
import { EnvelopeCipher, type DataKey, type KeyPurpose } from '@confide/platform';

/**
 * The one place where content columns are written and read (docs/adr/0010-key-hierarchy.md).
 * With content keys bound (`bindContentKeys`, done by the storage module when it has a KMS)
 * a record's content is one AES-256-GCM ciphertext under the meeting's data key, bound as
 * additional data to (tenant, meeting, record kind, record id), stored base64 with a `cf1:`
 * prefix in the record's first content column; the other content columns hold only neutral
 * placeholders ('' or '[]'), so no clear column carries content. A ciphertext moved to another
 * row, meeting or tenant does not decrypt; a plaintext row is refused while keys are bound.
 * Without keys (unit and legacy tests only) content is stored as plain text.
 * NUL characters are dropped (PostgreSQL text cannot hold them).
 */
export interface ContentContext {
  tenantId: string;
  meetingId: string;
  /** Record kind and id, bound to the ciphertext as additional data. */
  kind: 'meeting' | 'segment' | 'alert' | 'report';
  recordId: string;
}

/** Where the codec gets meeting data keys (a platform `MeetingKeyring`). */
export interface ContentKeySource {
  getOrCreate(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<DataKey>;
  get(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<DataKey>;
}

/** A content column holds ciphertext the keys cannot open, or plaintext where ciphertext is due. */
export class ContentSealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContentSealError';
  }
}

export const CIPHERTEXT_PREFIX = 'cf1:';
const KEY_REF = 'meeting-dek';
const cipher = new EnvelopeCipher();
let contentKeys: ContentKeySource | undefined;

/**
 * Binds the key source content is sealed with (one storage module per process). Returns the
 * unbinding function (a no-op if another source was bound since).
 */
export function bindContentKeys(keys: ContentKeySource): () => void {
  contentKeys = keys;
  return () => {
    if (contentKeys === keys) contentKeys = undefined;
  };
}

/** True while content is sealed (keys bound). */
export function contentEncryptionEnabled(): boolean {
  return contentKeys !== undefined;
}

async function seal(ctx: ContentContext, content: unknown): Promise<string | undefined> {
  const keys = contentKeys;
  if (!keys) return undefined;
  const key = await keys.getOrCreate(ctx.tenantId, ctx.meetingId, 'meeting');
  try {
    const blob = cipher.encrypt(Buffer.from(JSON.stringify(content), 'utf8'), key.plaintext, KEY_REF, key.keyVersion, aadOf(ctx));
    return CIPHERTEXT_PREFIX + blob.toString('base64');
  } finally {
    key.plaintext.fill(0);
  }
}

async function open(ctx: ContentContext, column: string): Promise<Record<string, unknown> | undefined> {
  const keys = contentKeys;
  const sealed = column.startsWith(CIPHERTEXT_PREFIX);
  if (!keys) {
    if (sealed) throw new ContentSealError(`${ctx.kind} content is encrypted and no content keys are bound`);
    return undefined;
  }
  if (!sealed) throw new ContentSealError(`${ctx.kind} content is not encrypted`);
  const key = await keys.get(ctx.tenantId, ctx.meetingId, 'meeting');
  try {
    const plaintext = cipher.decrypt(Buffer.from(column.slice(CIPHERTEXT_PREFIX.length), 'base64'), key.plaintext, aadOf(ctx));
    const parsed: unknown = JSON.parse(plaintext.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) throw new ContentSealError(`${ctx.kind} content is malformed`);
    return parsed as Record<string, unknown>;
  } finally {
    key.plaintext.fill(0);
  }
}

const aadOf = (ctx: ContentContext) => ({ tenant: ctx.tenantId, meeting: ctx.meetingId, kind: ctx.kind, id: ctx.recordId });

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

export async function sealMeeting(ctx: ContentContext, c: MeetingContent): Promise<{ title: string; participants: string }> {
  const plain = {
    title: clean(c.title),
    participants: clean(JSON.stringify(c.participants.map((p) => ({ id: p.id, speakerLabel: p.speakerLabel })))),
  };
  const sealed = await seal(ctx, plain);
  return sealed === undefined ? plain : { title: sealed, participants: '[]' };
}

export async function openMeeting(ctx: ContentContext, row: { title: string; participants: string }): Promise<MeetingContent> {
  const c = (await open(ctx, row.title)) ?? row;
  return { title: str(c.title), participants: parseList(str(c.participants) || '[]', toParticipant) };
}

export async function sealSegment(ctx: ContentContext, c: SegmentContent): Promise<{ text: string; speakerLabel: string }> {
  const plain = { text: clean(c.text), speakerLabel: clean(c.speakerLabel) };
  const sealed = await seal(ctx, plain);
  return sealed === undefined ? plain : { text: sealed, speakerLabel: '' };
}

export async function openSegment(ctx: ContentContext, row: { text: string; speakerLabel: string }): Promise<SegmentContent> {
  const c = (await open(ctx, row.text)) ?? row;
  return { text: str(c.text), speakerLabel: str(c.speakerLabel) };
}

export async function sealAlert(ctx: ContentContext, c: AlertContent): Promise<{ message: string; speakerLabel: string }> {
  const plain = { message: clean(c.message), speakerLabel: clean(c.speakerLabel) };
  const sealed = await seal(ctx, plain);
  return sealed === undefined ? plain : { message: sealed, speakerLabel: '' };
}

export async function openAlert(ctx: ContentContext, row: { message: string; speakerLabel: string }): Promise<AlertContent> {
  const c = (await open(ctx, row.message)) ?? row;
  return { message: str(c.message), speakerLabel: str(c.speakerLabel) };
}

export async function sealReport(
  ctx: ContentContext,
  c: ReportContent,
): Promise<{ summary: string; actionItems: string; decisions: string }> {
  const plain = {
    summary: clean(c.summary),
    actionItems: clean(JSON.stringify(c.actionItems.map((a) => ({ text: a.text, owner: a.owner, segmentId: a.segmentId })))),
    decisions: clean(JSON.stringify(c.decisions.map((d) => ({ text: d.text, segmentId: d.segmentId })))),
  };
  const sealed = await seal(ctx, plain);
  return sealed === undefined ? plain : { summary: sealed, actionItems: '[]', decisions: '[]' };
}

export async function openReport(
  ctx: ContentContext,
  row: { summary: string; actionItems: string; decisions: string },
): Promise<ReportContent> {
  const c = (await open(ctx, row.summary)) ?? row;
  return {
    summary: str(c.summary),
    actionItems: parseList(str(c.actionItems) || '[]', toActionItem),
    decisions: parseList(str(c.decisions) || '[]', toDecision),
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
