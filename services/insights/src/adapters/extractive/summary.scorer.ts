import { matchingTokens } from '../../domain/text-normalization';
import { STOP_WORDS } from './stop-words';
import type { TranscriptSentence } from './transcript-sentences';

export interface SummaryOptions {
  /** Most sentences in the summary. */
  maxSentences: number;
  /** Most characters in the summary (a single longer sentence is cut at a word). */
  maxChars: number;
}

export const NO_SPEECH_SUMMARY = 'No speech was transcribed in this meeting.';

const contentWords = (text: string): string[] =>
  matchingTokens(text).filter((w) => w.length > 1 && !STOP_WORDS.has(w) && !/^\d+$/.test(w));

/**
 * Extractive summary: sentences scored by a TF-IDF-like weight of their content words
 * (frequent in the meeting, but not in every sentence), the best ones kept within the
 * limits and printed in meeting order. Ties go to the earlier sentence: deterministic.
 */
export function summarize(sentences: readonly TranscriptSentence[], opts: SummaryOptions): string {
  if (sentences.length === 0) return NO_SPEECH_SUMMARY;
  const words = sentences.map((s) => contentWords(s.text));
  const termFrequency = new Map<string, number>();
  const documentFrequency = new Map<string, number>();
  for (const list of words) {
    for (const w of list) termFrequency.set(w, (termFrequency.get(w) ?? 0) + 1);
    for (const w of new Set(list)) documentFrequency.set(w, (documentFrequency.get(w) ?? 0) + 1);
  }
  const n = sentences.length;
  const weight = (w: string): number =>
    (termFrequency.get(w) ?? 0) * Math.log(1 + n / (documentFrequency.get(w) ?? 1));
  const scored = sentences.map((sentence, i) => {
    const distinct = [...new Set(words[i])];
    const total = distinct.reduce((sum, w) => sum + weight(w), 0);
    return { sentence, score: distinct.length === 0 ? 0 : total / Math.sqrt(distinct.length) };
  });
  const candidates = scored.some((s) => s.score > 0) ? scored.filter((s) => s.score > 0) : scored;
  const ranked = [...candidates].sort((a, b) => b.score - a.score || a.sentence.order - b.sentence.order);

  const chosen: TranscriptSentence[] = [];
  let length = 0;
  for (const { sentence } of ranked) {
    if (chosen.length >= opts.maxSentences) break;
    const added = asSentence(sentence.text).length + (chosen.length > 0 ? 1 : 0);
    if (length + added > opts.maxChars) continue;
    chosen.push(sentence);
    length += added;
  }
  if (chosen.length === 0) {
    const best = ranked[0]?.sentence;
    return best === undefined ? NO_SPEECH_SUMMARY : truncateAtWord(best.text, opts.maxChars);
  }
  return chosen
    .sort((a, b) => a.order - b.order)
    .map((s) => asSentence(s.text))
    .join(' ');
}

/**
 * Speech recognizers emit unpunctuated lower-case text: each chosen segment is written as
 * a sentence (capital first letter, closing full stop) so the summary reads as prose.
 */
export function asSentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length === 0) return trimmed;
  const capitalized = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capitalized) ? capitalized : `${capitalized}.`;
}

/** Cuts text to at most `max` characters at a word boundary, marking the cut with "…". */
export function truncateAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > 0 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
