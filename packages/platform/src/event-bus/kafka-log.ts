import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '../logging/logger';

/**
 * Fields of a kafkajs log entry that may be forwarded: identifiers, positions, counts and
 * broker-side error text. Anything else (kafkajs logs whole payloads in a few debug paths,
 * e.g. `offsets`, `error` objects with stacks) is dropped, so message keys, values and
 * headers never reach a log line.
 */
const FORWARDED_FIELDS = new Set([
  'groupId',
  'memberId',
  'leaderId',
  'generationId',
  'clientId',
  'broker',
  'nodeId',
  'topic',
  'partition',
  'offset',
  'retryCount',
  'retryTime',
  'correlationId',
  'apiName',
  'apiVersion',
  'type',
  'error',
  'host',
  'port',
  'duration',
  'isLeader',
]);

/** kafkajs messages that are expected for this adapter's configuration (logged at debug). */
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer'];

export function kafkaLogLevel(logger: Logger | undefined): logLevel {
  if (!logger) return logLevel.NOTHING;
  switch (logger.level) {
    case 'trace':
    case 'debug':
      return logLevel.DEBUG;
    case 'info':
      return logLevel.INFO;
    case 'silent':
      return logLevel.NOTHING;
    case 'warn':
      return logLevel.WARN;
    default:
      return logLevel.ERROR;
  }
}

/** Routes kafkajs' own logging into the service logger (never to the console). */
export function kafkaLogCreator(logger: Logger | undefined): logCreator {
  return () =>
    (entry: LogEntry): void => {
      if (!logger) return;
      const fields: Record<string, string | number | boolean> = { kafkaNamespace: entry.namespace };
      for (const [name, value] of Object.entries(entry.log)) {
        if (!FORWARDED_FIELDS.has(name)) continue;
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[name] = value;
      }
      const message = `kafkajs: ${entry.log.message}`;
      const expected = EXPECTED_WARNINGS.some((w) => entry.log.message.startsWith(w));
      switch (entry.level) {
        case logLevel.ERROR:
          logger.error(fields, message);
          break;
        case logLevel.WARN:
          if (expected) logger.debug(fields, message);
          else logger.warn(fields, message);
          break;
        case logLevel.INFO:
          logger.info(fields, message);
          break;
        default:
          logger.debug(fields, message);
      }
    };
}
