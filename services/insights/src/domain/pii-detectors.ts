import { normalizeForMatching } from './text-normalization';

/**
 * Personal-data detectors over one transcript segment. Each returns only how many matches
 * it found and where (an index used to order them), never the matched text: callers build
 * alerts from the rule description alone, so personal data cannot leak into an alert.
 *
 * Transcripts carry both written forms ("alice@example.com", "555-123-4567") and spoken
 * ones ("alice at example dot com", "five five five one two three four"), so both count.
 */
export type PiiDetectorKind = 'email' | 'phone' | 'credit-card' | 'us-ssn';

export const PII_DETECTOR_KINDS: readonly PiiDetectorKind[] = ['email', 'phone', 'credit-card', 'us-ssn'];

/** A match, located by an index that orders matches of one detector within the text. */
export interface PiiMatch {
  position: number;
}

// ---------------------------------------------------------------- email

/** A whole whitespace-delimited token that is a written address (checked per token: linear time). */
const WRITTEN_EMAIL_TOKEN = /^[^\p{L}\p{N}]*[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}[^\p{L}\p{N}]*$/u;

/** Top-level domains accepted in the spoken form (the written form, with "@", accepts any). */
const SPOKEN_TLDS = new Set([
  'com', 'org', 'net', 'edu', 'gov', 'io', 'co', 'uk', 'de', 'fr', 'ca', 'au', 'info', 'biz',
  'ai', 'dev', 'app', 'eu', 'nl', 'es', 'ch', 'se', 'jp', 'mil', 'int', 'email', 'mail', 'cloud', 'tech',
]);

/** Words that, as a local part or domain label, mean "at" was ordinary speech ("look at the dot com era"). */
const NOT_AN_ADDRESS_WORD = new Set([
  'the', 'a', 'an', 'this', 'that', 'these', 'those', 'my', 'your', 'our', 'his', 'her', 'their', 'its',
  'me', 'us', 'you', 'him', 'them', 'it', 'we', 'they', 'is', 'are', 'was', 'were', 'be', 'look', 'looked',
  'looking', 'meet', 'here', 'there', 'least', 'all', 'once', 'some', 'any', 'what', 'where', 'dot', 'at',
]);

const LABEL = /^[a-z0-9_%+-]+$/;

/** Lower case; "@" becomes " at ", a "." inside a word " dot "; other punctuation splits words. */
function spokenEmailTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/@/g, ' at ')
    .replace(/(?<=[\p{L}\p{N}])\.(?=[\p{L}\p{N}])/gu, ' dot ')
    .replace(/[^a-z0-9_%+-]+/g, ' ')
    .split(' ')
    .filter((t) => t.length > 0);
}

/**
 * Spoken form: a local part, "at" (or "at sign"), a domain label, then one or more
 * "dot <label>", the last one a known TLD. Scans tokens once per "at": linear in practice.
 */
function spokenEmails(tokens: readonly string[]): PiiMatch[] {
  const matches: PiiMatch[] = [];
  for (let i = 1; i < tokens.length; i += 1) {
    if (tokens[i] !== 'at') continue;
    const local = tokens[i - 1] as string;
    if (!LABEL.test(local) || NOT_AN_ADDRESS_WORD.has(local)) continue;
    let j = tokens[i + 1] === 'sign' ? i + 2 : i + 1;
    const domain = tokens[j];
    if (domain === undefined || !LABEL.test(domain) || NOT_AN_ADDRESS_WORD.has(domain)) continue;
    let lastLabel: string | undefined;
    while (tokens[j + 1] === 'dot' && tokens[j + 2] !== undefined && LABEL.test(tokens[j + 2] as string)) {
      j += 2;
      if (SPOKEN_TLDS.has(tokens[j] as string)) lastLabel = tokens[j];
    }
    if (lastLabel !== undefined) {
      matches.push({ position: i });
      i = j;
    }
  }
  return matches;
}

export function detectEmails(text: string): PiiMatch[] {
  const matches: PiiMatch[] = [];
  let rest = '';
  let position = 0;
  for (const token of text.split(/\s+/)) {
    if (token.includes('@') && WRITTEN_EMAIL_TOKEN.test(token)) {
      matches.push({ position });
      rest += ' , ';
    } else {
      rest += ` ${token}`;
    }
    position += 1;
  }
  // Spoken positions are offset past the written ones: only the order within a detector matters.
  for (const m of spokenEmails(spokenEmailTokens(rest))) matches.push({ position: position + m.position });
  return matches;
}

// ---------------------------------------------------------------- digit sequences

const DIGIT_WORDS: Record<string, string> = {
  zero: '0', oh: '0', o: '0', one: '1', two: '2', three: '3', four: '4',
  five: '5', six: '6', seven: '7', eight: '8', nine: '9',
};
const REPEATERS: Record<string, number> = { double: 2, triple: 3 };

/** Numbers that are not identifiers: amounts, thousands-grouped numbers, dates, times. */
const NOT_IDENTIFIER_NUMBERS = [
  /[$€£¥]\s?\d[\d,.]*/g,
  /\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b/g,
  /\b\d{4}-\d{1,2}-\d{1,2}\b/g,
  /\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/g,
  /\b\d{1,2}:\d{2}(?::\d{2})?\b/g,
];

interface DigitToken {
  digits: string;
  /** Written as a numeral ("555") rather than spoken words ("five"). */
  numeral: boolean;
  index: number;
}

/** Maximal runs of consecutive digit tokens ("555 123 4567", "five five five one two ..."). */
export function digitRuns(text: string): DigitToken[][] {
  let cleaned = text;
  for (const pattern of NOT_IDENTIFIER_NUMBERS) cleaned = cleaned.replace(pattern, ' ');
  const tokens = normalizeForMatching(cleaned).split(' ').filter((t) => t.length > 0);
  const runs: DigitToken[][] = [];
  let current: DigitToken[] = [];
  const flush = (): void => {
    if (current.length > 0) runs.push(current);
    current = [];
  };
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as string;
    if (/^\d+$/.test(token)) {
      current.push({ digits: token, numeral: true, index: i });
      continue;
    }
    const digit = DIGIT_WORDS[token];
    if (digit !== undefined) {
      current.push({ digits: digit, numeral: false, index: i });
      continue;
    }
    const repeat = REPEATERS[token];
    const next = tokens[i + 1];
    const nextDigit = next === undefined ? undefined : DIGIT_WORDS[next];
    if (repeat !== undefined && nextDigit !== undefined) {
      current.push({ digits: nextDigit.repeat(repeat), numeral: false, index: i });
      i += 1;
      continue;
    }
    flush();
  }
  flush();
  // A lone spoken "oh"/"o" is an interjection, not a digit.
  return runs.filter((run) => !(run.length === 1 && !run[0]?.numeral && run[0]?.digits === '0'));
}

const joinDigits = (tokens: readonly DigitToken[]): string => tokens.map((t) => t.digits).join('');

/** Luhn checksum (credit card numbers). */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** A syntactically valid US SSN: area not 000/666/9xx, group not 00, serial not 0000. */
export function ssnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = digits.slice(0, 3);
  const group = digits.slice(3, 5);
  const serial = digits.slice(5);
  return area !== '000' && area !== '666' && !area.startsWith('9') && group !== '00' && serial !== '0000';
}

const SSN_CONTEXT = /\b(social security|ssn|social)\b/i;

export const CARD_MIN_DIGITS = 13;
export const CARD_MAX_DIGITS = 19;
export const PHONE_MIN_DIGITS = 7;
export const PHONE_MAX_DIGITS = 15;

export interface DigitIdentifiers {
  ssn: PiiMatch[];
  creditCard: PiiMatch[];
  phone: PiiMatch[];
}

/**
 * Classifies every digit run once, so one number fires one detector: an SSN (written
 * 3-2-4, or 9 digits said next to "social security"), else a card number (13-19 digits
 * passing Luhn), else a phone number (7-15 digits). A run is one number: consecutive
 * numerals and digit words ("555 123 4567", "four one one one ..."). Numbers that are none
 * of these (a Luhn-invalid 16-digit number, an amount, a date) do not fire.
 */
export function detectDigitIdentifiers(text: string): DigitIdentifiers {
  const result: DigitIdentifiers = { ssn: [], creditCard: [], phone: [] };
  const ssnContext = SSN_CONTEXT.test(text);
  for (const run of digitRuns(text)) {
    const digits = joinDigits(run);
    const match: PiiMatch = { position: run[0]?.index ?? 0 };
    const written324 =
      run.length === 3 && run.every((t) => t.numeral) && run.map((t) => t.digits.length).join('-') === '3-2-4';
    if ((written324 || (ssnContext && digits.length === 9)) && ssnValid(digits)) {
      result.ssn.push(match);
    } else if (
      digits.length >= CARD_MIN_DIGITS &&
      digits.length <= CARD_MAX_DIGITS &&
      luhnValid(digits) &&
      !/^0+$/.test(digits)
    ) {
      result.creditCard.push(match);
    } else if (digits.length >= PHONE_MIN_DIGITS && digits.length <= PHONE_MAX_DIGITS) {
      result.phone.push(match);
    }
  }
  return result;
}
