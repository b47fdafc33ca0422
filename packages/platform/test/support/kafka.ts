import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

/** Written by scripts/infra/up.sh. */
export const INFRA_ENV_FILE = resolve(__dirname, '../../../../.state/infra/env');

/**
 * Broker addresses for integration tests: KAFKA_BROKERS from the environment, else from
 * .state/infra/env (scripts/infra/up.sh). Undefined when neither names one.
 */
export function kafkaBrokers(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const fromEnv = env.KAFKA_BROKERS?.trim();
  if (fromEnv) return splitBrokers(fromEnv);
  let text: string;
  try {
    text = readFileSync(INFRA_ENV_FILE, 'utf8');
  } catch {
    return undefined;
  }
  const match = /^(?:export\s+)?KAFKA_BROKERS=["']?([^"'\n]+)["']?\s*$/m.exec(text);
  return match?.[1] ? splitBrokers(match[1]) : undefined;
}

/**
 * Resolves the brokers and proves one answers (metadata request), or throws an error that
 * says how to start Kafka. Integration tests call it in `beforeAll`, so a missing broker
 * fails the suite instead of skipping it.
 */
export async function requireKafka(timeoutMs = 5000): Promise<string[]> {
  const brokers = kafkaBrokers();
  if (!brokers) {
    throw new Error(
      `No Kafka broker configured: set KAFKA_BROKERS or start the local infrastructure with ` +
        `\`bash scripts/infra/up.sh kafka\` (writes ${INFRA_ENV_FILE}).`,
    );
  }
  const admin = new Kafka({
    clientId: 'confide-test-probe',
    brokers,
    connectionTimeout: Math.min(timeoutMs, 3000),
    retry: { retries: 1, initialRetryTime: 200 },
    logLevel: logLevel.NOTHING,
  }).admin();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.listTopics();
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Kafka is not reachable at ${brokers.join(',')} (${reason}). Start it with ` +
        '`bash scripts/infra/up.sh kafka` (check with `bash scripts/infra/status.sh kafka`) or set KAFKA_BROKERS.',
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
  return brokers;
}

function splitBrokers(value: string): string[] {
  return value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}
