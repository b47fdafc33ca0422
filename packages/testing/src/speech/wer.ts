/**
 * Word error rate: (substitutions + deletions + insertions) / reference words, from a
 * Levenshtein alignment over normalized words.
 */

export interface WerResult {
  /** Error rate; 0 for a perfect match. Can exceed 1 when the hypothesis has many insertions. */
  wer: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  referenceWords: number;
  hypothesisWords: number;
}

/**
 * Lowercases, turns punctuation into word breaks (an apostrophe inside a word is kept:
 * "don't"), keeps digits as they are, and splits on whitespace.
 */
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s]+/gu, ' ')
    .split(/\s+/)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length > 0);
}

/** Full alignment counts. An empty reference scores 0 against an empty hypothesis, else 1. */
export function werDetails(reference: string, hypothesis: string): WerResult {
  const ref = normalizeWords(reference);
  const hyp = normalizeWords(hypothesis);
  const n = ref.length;
  const m = hyp.length;
  // cost[i][j] = edit distance between ref[0..i) and hyp[0..j); op counts tracked alongside.
  type Cell = { cost: number; s: number; d: number; i: number };
  let prev: Cell[] = Array.from({ length: m + 1 }, (_, j) => ({ cost: j, s: 0, d: 0, i: j }));
  for (let i = 1; i <= n; i += 1) {
    const cur: Cell[] = [{ cost: i, s: 0, d: i, i: 0 }];
    for (let j = 1; j <= m; j += 1) {
      const diag = prev[j - 1] as Cell;
      const up = prev[j] as Cell;
      const left = cur[j - 1] as Cell;
      const same = ref[i - 1] === hyp[j - 1];
      const sub = { cost: diag.cost + (same ? 0 : 1), s: diag.s + (same ? 0 : 1), d: diag.d, i: diag.i };
      const del = { cost: up.cost + 1, s: up.s, d: up.d + 1, i: up.i };
      const ins = { cost: left.cost + 1, s: left.s, d: left.d, i: left.i + 1 };
      let best = sub;
      if (del.cost < best.cost) best = del;
      if (ins.cost < best.cost) best = ins;
      cur.push(best);
    }
    prev = cur;
  }
  const last = prev[m] as Cell;
  const wer = n === 0 ? (m === 0 ? 0 : 1) : last.cost / n;
  return { wer, substitutions: last.s, deletions: last.d, insertions: last.i, referenceWords: n, hypothesisWords: m };
}

/** Word error rate of `hypothesis` against `reference` (see werDetails). */
export function wordErrorRate(reference: string, hypothesis: string): number {
  return werDetails(reference, hypothesis).wer;
}
