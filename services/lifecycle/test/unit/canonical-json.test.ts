import { canonicalJson, CanonicalJsonError } from '../../src/domain/canonical-json';

describe('canonicalJson (RFC 8785 subset)', () => {
  it('sorts keys by UTF-16 code units at every depth and adds no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, '\u00e9': 0, A: -0 })).toBe(
      '{"A":0,"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1,"\u00e9":0}',
    );
  });

  it('escapes strings as JSON.stringify does (RFC 8785)', () => {
    expect(canonicalJson({ s: 'line\n"quote"\u0001\u2028€😀' })).toBe('{"s":"line\\n\\"quote\\"\\u0001\u2028€😀"}');
  });

  it('gives one encoding whatever the key order of the input', () => {
    expect(canonicalJson({ x: 1, y: [1, 2], z: { b: 2, a: 1 } })).toBe(canonicalJson({ z: { a: 1, b: 2 }, y: [1, 2], x: 1 }));
  });

  it('refuses what has no single encoding', () => {
    for (const bad of [{ n: 1.5 }, { n: Number.NaN }, { n: 2 ** 60 }, { u: undefined }, { d: new Date(0) }, { b: BigInt(1) }, { s: '\ud800' }]) {
      expect(() => canonicalJson(bad)).toThrow(CanonicalJsonError);
    }
  });
});
