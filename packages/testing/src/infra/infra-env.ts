import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The repository root: the nearest folder above `startDir` holding pnpm-workspace.yaml. */
function repoRoot(startDir: string = __dirname): string {
  let dir = resolve(startDir);
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** `.state/infra/env`, written by `pnpm infra:up` (scripts/infra/up.sh). */
export const INFRA_ENV_FILE = join(repoRoot(), '.state', 'infra', 'env');

/**
 * The environment of the project's infrastructure for integration tests: the `[export ]KEY=VALUE`
 * lines of `.state/infra/env` (quotes stripped), each overridden by the same variable in
 * `process.env`. Empty when neither names anything; callers fail (never skip) with a message
 * naming what is missing.
 */
export function readInfraEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  if (existsSync(INFRA_ENV_FILE)) {
    for (const line of readFileSync(INFRA_ENV_FILE, 'utf8').split('\n')) {
      const match = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (match) env[match[1]!] = match[2]!.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
    }
  }
  for (const name of Object.keys(env)) {
    const override = process.env[name];
    if (override) env[name] = override;
  }
  for (const name of ['KAFKA_BROKERS', 'VAULT_ADDR', 'VAULT_TOKEN_FILE', 'VAULT_TRANSIT_MOUNT', 'DATABASE_URL', 'MIGRATION_DATABASE_URL', 'BACKUP_DATABASE_URL']) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return env;
}
