import type { ActionItem, Participant } from '@confide/contracts';
import { DECISION_CUE, isQuestion, plainApostrophes } from './decision.extractor';
import type { TranscriptSentence } from './transcript-sentences';

const DAYS = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday';

/** Phrases that commit someone to doing something. */
export const COMMITMENT_CUE = new RegExp(
  [
    "\\b\\w+'ll\\b",
    '\\bwill\\b',
    '\\bgoing to\\b',
    '\\bgonna\\b',
    '\\baction items?\\b',
    `\\bby (?:${DAYS}|tomorrow|tonight|next week|the end of (?:the )?(?:day|week|month)|end of (?:the )?(?:day|week|month)|eod|eow)\\b`,
    '\\bfollow(?:[- ]up|s up|ing up)\\b',
    '\\bsend(?:s|ing)?\\b',
    '\\bneeds? to\\b',
    '\\bto-?do\\b',
  ].join('|'),
  'i',
);

/** What comes right after an owner's name: "Bob will", "Bob'll", "Bob is going to". */
const OWNER_VERB = "(?:'ll\\b|\\s+(?:will|is going to|is gonna|needs to|has to|must|should|can|to)\\b)";
/** What comes right before an owner's name: "action item for Bob", "assigned to Bob". */
const OWNER_PREFIX = '(?:action items? for|assigned to|assign(?:ing)? (?:it|this|that) to|owner is)\\s+';

/** Capitalised words that are not names even when followed by "will". */
const NOT_NAMES = new Set(
  `i we you they he she it that this there these those someone somebody everyone everybody nobody anyone
  anybody who what which where when why how and but so then also now okay ok yes no well maybe perhaps
  nothing everything something anything today tomorrow next this that ${DAYS.replace(/\|/g, ' ')}
  january february march april may june july august september october november december`.split(/\s+/),
);

const FIRST_PERSON = /\b(?:i|i'll|i'm|i've|i'd|me|my|we|we'll|we're|let's|us)\b/i;
const SECOND_PERSON_SUBJECT = /\b(?:you(?:'ll| will| need to| should| can| have to| must)|can you|could you|would you)\b/i;

/** Speaker labels that do not name a person ("Speaker 1", "mixed", "Unknown"). */
const isGenericLabel = (label: string): boolean =>
  /^(?:speaker\s*\d*|participant\s*\d*|mixed|unknown|guest\s*\d*)$/i.test(label.trim()) || !/\p{L}/u.test(label);

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface NamedParticipant {
  label: string;
  pattern: RegExp;
}

export function namedParticipants(participants: readonly Participant[]): NamedParticipant[] {
  const labels = [...new Set(participants.map((p) => p.speakerLabel.trim()))].filter((l) => l && !isGenericLabel(l));
  return labels.sort().map((label) => {
    const first = label.split(/\s+/)[0] ?? label;
    const names = [...new Set([label, first])].map(escapeRegExp).join('|');
    return {
      label,
      pattern: new RegExp(`(?:\\b(?:${names})${OWNER_VERB})|(?:\\b${OWNER_PREFIX}(?:${names})\\b)`, 'i'),
    };
  });
}

const CAPITALISED_OWNER = new RegExp(`\\b([A-Z][\\p{Ll}'-]+)${OWNER_VERB}`, 'gu');

/**
 * The owner of an action item: a participant named as its subject ("Bob will send..."),
 * else a capitalised name used that way, else the speaker for "I"/"we" (or when nobody
 * is named), and no owner when it is asked of "you" without naming anyone.
 */
export function ownerOf(text: string, speakerLabel: string, participants: readonly NamedParticipant[]): string {
  const named = participants.find((p) => p.pattern.test(text));
  if (named !== undefined) return named.label;
  for (const m of text.matchAll(CAPITALISED_OWNER)) {
    const name = m[1] ?? '';
    if (!NOT_NAMES.has(name.toLowerCase())) return name;
  }
  if (SECOND_PERSON_SUBJECT.test(text) && !FIRST_PERSON.test(text)) return '';
  return speakerLabel;
}

/** Sentences that commit someone to an action (not questions), with their owner, in meeting order. */
export function extractActionItems(
  sentences: readonly TranscriptSentence[],
  participants: readonly Participant[],
  max: number,
): ActionItem[] {
  const named = namedParticipants(participants);
  const items: ActionItem[] = [];
  const seen = new Set<string>();
  for (const sentence of sentences) {
    if (items.length >= max) break;
    const plain = plainApostrophes(sentence.text);
    if (isQuestion(plain)) continue;
    // "We will go with X" is a decision, not a task: look for a commitment without the decision cue.
    if (!COMMITMENT_CUE.test(plain.replace(DECISION_CUE, ' '))) continue;
    const dedupeKey = `${sentence.segmentId}\u0000${sentence.text}`;
    if (seen.has(dedupeKey)) continue;
    seen.add(dedupeKey);
    items.push({ text: sentence.text, owner: ownerOf(plain, sentence.speakerLabel, named), segmentId: sentence.segmentId });
  }
  return items;
}
