import { detectDigitIdentifiers, detectEmails, luhnValid, ssnValid } from '../../../src/domain/pii-detectors';

describe('email detector', () => {
  it.each([
    ['written', 'you can reach me at alice.smith@example.com any time'],
    ['written, upper case', 'Send it to BOB@Example.ORG please'],
    ['spoken', "it's alice at example dot com"],
    ['spoken with dotted local part and country domain', 'write to alice dot smith at example dot co dot uk'],
    ['half spoken', 'mail bob at acme.io'],
    ['spoken with "at sign"', 'carol at sign acme dot com'],
  ])('finds an address (%s)', (_label, text) => {
    expect(detectEmails(text)).toHaveLength(1);
  });

  it.each([
    ['"at" in ordinary speech', 'we met at the office at noon'],
    ['"dot com" after a pronoun', 'look at the dot com era'],
    ['no top-level domain', 'alice at example'],
    ['unknown spoken top-level domain', 'alice at example dot banana'],
    ['no address at all', 'nothing to see here'],
  ])('ignores text without an address (%s)', (_label, text) => {
    expect(detectEmails(text)).toHaveLength(0);
  });

  it('counts two addresses separately', () => {
    expect(detectEmails('alice@example.com and bob at example dot org')).toHaveLength(2);
  });
});

describe('digit identifiers', () => {
  it.each([
    ['dashed', 'call me on 555-123-4567'],
    ['parenthesised area code', 'my number is (555) 123 4567'],
    ['international', 'the office is +44 20 7946 0958'],
    ['seven digits', 'extension 5551234'],
    ['spoken digits', 'it is five five five one two three four'],
    ['spoken with "oh" and "double"', 'call oh two oh double seven one two three four'],
    ['numerals and words mixed', 'call 555 one two three four'],
  ])('finds a phone number (%s)', (_label, text) => {
    const found = detectDigitIdentifiers(text);
    expect(found.phone).toHaveLength(1);
    expect(found.creditCard).toHaveLength(0);
    expect(found.ssn).toHaveLength(0);
  });

  it.each([
    ['short numbers', 'we have 3 options, 12 people and 250 seats'],
    ['an amount', 'revenue was $1250000 this year'],
    ['a thousands-grouped number', 'we sold 1,250,000 units'],
    ['a date', 'the launch is on 2024-05-01'],
    ['a time', 'meet at 10:30'],
    ['few spoken digits', 'one two three go'],
    ['an interjection', 'oh I see, oh well'],
  ])('ignores numbers that are not identifiers (%s)', (_label, text) => {
    expect(detectDigitIdentifiers(text)).toEqual({ phone: [], creditCard: [], ssn: [] });
  });

  it.each([
    ['Visa test number, grouped', 'card 4111 1111 1111 1111 thanks'],
    ['MasterCard test number, dashed', 'it is 5555-5555-5555-4444'],
    ['Amex test number (15 digits)', 'use 378282246310005'],
    [
      'spoken',
      'four one one one one one one one one one one one one one one one',
    ],
  ])('finds a Luhn-valid card number (%s)', (_label, text) => {
    const found = detectDigitIdentifiers(text);
    expect(found.creditCard).toHaveLength(1);
    expect(found.phone).toHaveLength(0);
  });

  it.each([
    ['grouped', 'card 4111 1111 1111 1112 thanks'],
    ['plain', 'number 5555555555554445'],
    ['all zeros', '0000 0000 0000 0000'],
  ])('does not fire on Luhn-invalid card-length numbers (%s)', (_label, text) => {
    expect(detectDigitIdentifiers(text)).toEqual({ phone: [], creditCard: [], ssn: [] });
  });

  it.each([
    ['written 3-2-4', 'my SSN is 123-45-6789'],
    ['spaced 3-2-4', 'it is 123 45 6789'],
    ['spoken next to "social security"', 'my social security number is one two three four five six seven eight nine'],
  ])('finds a US SSN (%s)', (_label, text) => {
    const found = detectDigitIdentifiers(text);
    expect(found.ssn).toHaveLength(1);
    expect(found.phone).toHaveLength(0);
  });

  it.each(['000-12-3456', '666-12-3456', '912-34-5678', '123-00-4567', '123-45-0000'])(
    'does not take the invalid SSN %s for one',
    (ssn) => {
      expect(detectDigitIdentifiers(`number ${ssn}`).ssn).toHaveLength(0);
    },
  );

  it('validates Luhn and SSN rules directly', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('41x1')).toBe(false);
    expect(ssnValid('123456789')).toBe(true);
    expect(ssnValid('987654321')).toBe(false);
  });
});
