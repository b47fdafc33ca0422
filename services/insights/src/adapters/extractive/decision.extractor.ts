import type { Decision } from '@confide/contracts';
import type { TranscriptSentence } from './transcript-sentences';

/** Phrases that record a decision. */
export const DECISION_CUE =
  /\b(?:we(?:'ve| have)? decided|decided to|decided on|let'?s go with|(?:we(?:'ve| have)?|all|everyone|it'?s) agreed|agreed|the decision is|decision is|final decision|we(?:'ll| will) go with|we(?:'re| are)(?: going to)? go(?:ing)? with)\b/i;

/** A negation before the cue: "we haven't agreed", "no decision is made". */
const NEGATION = /\b(?:not|never|no|haven't|hasn't|hadn't|didn't|don't|doesn't|isn't|wasn't|weren't|aren't|can't|cannot|yet to)\b/i;

/** Normalizes typographic apostrophes so the patterns see "we've", "let's". */
export const plainApostrophes = (text: string): string => text.replace(/[\u2018\u2019\u02bc]/g, "'");

export const isQuestion = (text: string): boolean => /\?\s*$/.test(text);

/** Sentences that state a decision (not questions, not negated), one per sentence, in meeting order. */
export function extractDecisions(sentences: readonly TranscriptSentence[], max: number): Decision[] {
  const decisions: Decision[] = [];
  for (const sentence of sentences) {
    if (decisions.length >= max) break;
    if (isDecision(sentence.text)) decisions.push({ text: sentence.text, segmentId: sentence.segmentId });
  }
  return decisions;
}

export function isDecision(text: string): boolean {
  const plain = plainApostrophes(text);
  if (isQuestion(plain)) return false;
  const cue = DECISION_CUE.exec(plain);
  if (cue === null) return false;
  return !NEGATION.test(plain.slice(0, cue.index + cue[0].length));
}
