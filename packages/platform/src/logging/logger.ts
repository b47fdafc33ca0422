import pino from 'pino';

export type Logger = pino.Logger;

/** Field names whose values are content, keys, tokens or personal data: never logged. */
export const REDACTED_FIELDS = [
  'text',
  'transcript',
  'audio',
  'data',
  'payload',
  'summary',
  'email',
  'token',
  'authorization',
  'password',
  'key',
  'secret',
  'speakerLabel',
] as const;

/** How deep (in nested objects/arrays) the redacted fields are looked for. */
export const REDACTION_DEPTH = 6;

export const REDACTION_CENSOR = '[redacted]';

/** pino redact paths: every field at the top level and under up to REDACTION_DEPTH - 1 wildcards. */
export function redactionPaths(fields: readonly string[] = REDACTED_FIELDS, depth = REDACTION_DEPTH): string[] {
  const paths: string[] = [];
  for (let level = 0; level < depth; level += 1) {
    const prefix = '*.'.repeat(level);
    for (const field of fields) paths.push(`${prefix}${field}`);
  }
  paths.push('participants[*].speakerLabel');
  return paths;
}

export interface CreateLoggerOptions {
  service: string;
  /** pino level; default "info". */
  level?: string;
  /** Where JSON lines go; default stdout. */
  destination?: pino.DestinationStream;
}

/**
 * JSON logger with `service` in every line and redaction of content, keys, tokens and
 * personal data at any depth used in this codebase. Log ids, counts and durations only.
 */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: opts.service },
    redact: { paths: redactionPaths(), censor: REDACTION_CENSOR },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, opts.destination ?? pino.destination(1));
}
