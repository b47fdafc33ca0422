import { AppError } from '@confide/platform';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decodePageToken, encodePageToken, normalizePageSize } from '../../src/domain/page-token';

describe('page tokens', () => {
  it('round-trips a cursor through an opaque url-safe token', () => {
    const token = encodePageToken({ startedAtMs: 1_700_000_000_123, meetingId: 'm:1/ü' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token)).toEqual({ startedAtMs: 1_700_000_000_123, meetingId: 'm:1/ü' });
  });

  it('treats the empty token as the first page', () => {
    expect(decodePageToken('')).toBeUndefined();
  });

  it.each([
    ['not base64url', 'a b'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['JSON of the wrong shape', Buffer.from(JSON.stringify({ s: 'x', m: 'm' })).toString('base64url')],
    ['a negative time', Buffer.from(JSON.stringify({ s: -1, m: 'm' })).toString('base64url')],
    ['an empty meeting id', Buffer.from(JSON.stringify({ s: 1, m: '' })).toString('base64url')],
    ['too long', 'a'.repeat(2000)],
  ])('rejects a token that is %s as invalid-argument', (_label, token) => {
    expect(() => decodePageToken(token)).toThrow(AppError);
    try {
      decodePageToken(token);
    } catch (err) {
      expect((err as AppError).kind).toBe('invalid-argument');
    }
  });

  it('defaults a zero page size and clamps large ones', () => {
    expect(normalizePageSize(0)).toBe(DEFAULT_PAGE_SIZE);
    expect(normalizePageSize(7)).toBe(7);
    expect(normalizePageSize(10_000)).toBe(MAX_PAGE_SIZE);
    expect(() => normalizePageSize(-1)).toThrow('page_size');
  });
});
