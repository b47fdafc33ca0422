/**
 * Text normalization for matching over transcripts. Speech-to-text output varies in
 * punctuation, casing, apostrophes and hyphenation ("Off-the-record", "dont", "don’t"),
 * so rules match on a canonical form: lower case, apostrophes removed, every other
 * non-alphanumeric character a single space.
 */

const APOSTROPHES = /['\u2018\u2019\u02bc\u0060\u00b4]/g;
const NON_WORD = /[^\p{L}\p{N}]+/gu;

/** Canonical form for phrase matching: "Don’t put THIS, in-writing!" -> "dont put this in writing". */
export function normalizeForMatching(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(APOSTROPHES, '').replace(NON_WORD, ' ').trim();
}

/** Words of the canonical form. */
export function matchingTokens(text: string): string[] {
  const normalized = normalizeForMatching(text);
  return normalized.length === 0 ? [] : normalized.split(' ');
}

/** A [start, end) range of token indexes. */
export interface TokenSpan {
  start: number;
  end: number;
}

/**
 * Every occurrence of `needle` (token sequence) in `haystack` on token boundaries, so that
 * "we guarantee" never matches inside "we guaranteed".
 */
export function findTokenSequence(haystack: readonly string[], needle: readonly string[]): TokenSpan[] {
  const spans: TokenSpan[] = [];
  if (needle.length === 0 || needle.length > haystack.length) return spans;
  for (let i = 0; i + needle.length <= haystack.length; i += 1) {
    let matches = true;
    for (let j = 0; j < needle.length; j += 1) {
      if (haystack[i + j] !== needle[j]) {
        matches = false;
        break;
      }
    }
    if (matches) spans.push({ start: i, end: i + needle.length });
  }
  return spans;
}

/** Keeps the earliest (then longest) of overlapping spans; result sorted by start. */
export function nonOverlapping(spans: readonly TokenSpan[]): TokenSpan[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: TokenSpan[] = [];
  for (const span of sorted) {
    const last = kept[kept.length - 1];
    if (last === undefined || span.start >= last.end) kept.push(span);
  }
  return kept;
}
