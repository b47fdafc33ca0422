import { normalizeWords, werDetails, wordErrorRate } from '../../../src/speech/wer';

describe('normalizeWords', () => {
  it('lowercases, strips punctuation and keeps digits and inner apostrophes', () => {
    expect(normalizeWords("Hello, World! It's 10 o'clock -- 'quoted' follow-up.")).toEqual([
      'hello',
      'world',
      "it's",
      '10',
      "o'clock",
      'quoted',
      'follow',
      'up',
    ]);
  });
});

describe('wordErrorRate', () => {
  it('is 0 for identical text after normalization', () => {
    expect(wordErrorRate('Bob will send the budget.', 'bob will send the budget')).toBe(0);
  });

  it('counts substitutions, deletions and insertions', () => {
    const d = werDetails('the cat sat on the mat', 'the bat sat the mat today');
    expect(d).toEqual({ wer: 3 / 6, substitutions: 1, deletions: 1, insertions: 1, referenceWords: 6, hypothesisWords: 6 });
  });

  it('is 1 when everything is deleted and can exceed 1 with insertions', () => {
    expect(wordErrorRate('one two', '')).toBe(1);
    expect(wordErrorRate('one', 'one two three')).toBe(2);
  });

  it('handles an empty reference', () => {
    expect(wordErrorRate('', '')).toBe(0);
    expect(wordErrorRate('', 'noise')).toBe(1);
  });
});
