/**
 * Canonical JSON (RFC 8785, JCS) for the values Confide signs and hashes: objects, arrays,
 * strings, booleans, null and safe integers. Keys are sorted by UTF-16 code units (JavaScript's
 * default sort), no whitespace, strings and integers serialized as ECMAScript `JSON.stringify`
 * does, which is what RFC 8785 prescribes. Fractional or unsafe numbers, `undefined`, functions,
 * bigints and non-plain objects are refused rather than silently dropped, so a document always
 * has exactly one encoding. (The `canonicalize` package is ESM-only; this subset is all we need.)
 */
export type CanonicalValue = null | boolean | number | string | CanonicalValue[] | { [key: string]: CanonicalValue };

export class CanonicalJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalJsonError';
  }
}

export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function encode(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      if (!isWellFormed(value)) throw new CanonicalJsonError(`${path}: lone surrogate in string`);
      return JSON.stringify(value);
    case 'number':
      if (!Number.isSafeInteger(value)) throw new CanonicalJsonError(`${path}: only safe integers are allowed`);
      return JSON.stringify(value === 0 ? 0 : value); // -0 -> 0
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => encode(v, `${path}[${i}]`)).join(',')}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError(`${path}: only plain objects are allowed`);
      const entries = Object.keys(value as object)
        .sort()
        .map((key) => {
          const v = (value as Record<string, unknown>)[key];
          if (v === undefined) throw new CanonicalJsonError(`${path}.${key}: undefined is not allowed`);
          return `${JSON.stringify(key)}:${encode(v, `${path}.${key}`)}`;
        });
      return `{${entries.join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(`${path}: ${typeof value} is not allowed`);
  }
}

function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}
