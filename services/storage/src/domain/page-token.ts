import { invalidArgument } from '@confide/platform';
import { isValidId } from './identifiers';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/**
 * Keyset position in the meeting list (ordered by start time desc, then meeting id desc):
 * the last meeting of the previous page. Opaque to clients (base64url JSON); a token says
 * nothing that the previous page did not already show the same tenant.
 */
export interface MeetingCursor {
  startedAtMs: number;
  meetingId: string;
}

const MAX_TOKEN_LENGTH = 1024;

export function encodePageToken(cursor: MeetingCursor): string {
  return Buffer.from(JSON.stringify({ s: cursor.startedAtMs, m: cursor.meetingId }), 'utf8').toString('base64url');
}

/** undefined for the first page (empty token); AppError invalid-argument when malformed. */
export function decodePageToken(token: string): MeetingCursor | undefined {
  if (token === '') return undefined;
  const invalid = invalidArgument('page_token is invalid');
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid;
  const { s, m } = parsed as { s?: unknown; m?: unknown };
  if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw invalid;
  if (typeof m !== 'string' || !isValidId(m)) throw invalid;
  return { startedAtMs: s, meetingId: m };
}

/** 0 = default; above the maximum is clamped (AIP-158). */
export function normalizePageSize(requested: number): number {
  if (!Number.isInteger(requested) || requested < 0) throw invalidArgument('page_size must be a non-negative integer');
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}
