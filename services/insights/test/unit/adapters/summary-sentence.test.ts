import { asSentence } from '../../../src/adapters/extractive/summary.scorer';

describe('asSentence', () => {
  it('capitalizes and closes unpunctuated recognizer output', () => {
    expect(asSentence('the budget is too high')).toBe('The budget is too high.');
  });
  it('keeps existing closing punctuation', () => {
    expect(asSentence('Are we done?')).toBe('Are we done?');
    expect(asSentence('We are done.')).toBe('We are done.');
  });
  it('leaves empty text empty', () => {
    expect(asSentence('   ')).toBe('');
  });
});
