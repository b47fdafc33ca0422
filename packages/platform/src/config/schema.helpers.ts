import { z } from 'zod';

const LOOPBACK_HOSTS = new Set(['localhost', '::1', '[::1]']);

/** True for localhost, ::1 and 127.0.0.0/8. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  if (LOOPBACK_HOSTS.has(h)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Splits "host:port" (IPv6 as "[::1]:port"); undefined when malformed. */
export function parseHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(address.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: m[1] as string, port };
}

/**
 * A listen address "host:port". Until TLS lands the host must be loopback
 * (localhost, 127.0.0.0/8, [::1]): plaintext listeners are only allowed there.
 */
export const zListenAddress = z.string().superRefine((value, ctx) => {
  const parsed = parseHostPort(value);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: 'must be host:port' });
    return;
  }
  if (!isLoopbackHost(parsed.host)) {
    ctx.addIssue({ code: 'custom', message: 'host must be loopback (TLS is required for other interfaces)' });
  }
});

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "500" (ms), "500ms", "2s", "1m", "1h" into milliseconds; undefined when malformed. */
export function parseDurationMs(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? 'ms'] as number));
}

/** A duration in milliseconds: "500", "500ms", "2s", "1m", "1h". */
export const zDurationMs = z.string().transform((value, ctx) => {
  const ms = parseDurationMs(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration like 500, 500ms, 2s or 1m' });
    return z.NEVER;
  }
  return ms;
});

/** A comma-separated list: "a, b,c" -> ["a", "b", "c"] (blank items dropped). */
export const zCsv = z.string().transform((value) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

/** A boolean: "true"/"false"/"1"/"0" (case-insensitive). */
export const zBool = z.string().transform((value, ctx) => {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  ctx.addIssue({ code: 'custom', message: 'must be true, false, 1 or 0' });
  return z.NEVER;
});

/** A PostgreSQL connection URL (postgres:// or postgresql://); the message never echoes the value. */
export const zPostgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL');
