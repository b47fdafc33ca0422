import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { VaultTransitKms } from '@confide/platform';

/** `.state/infra/env`, written by `pnpm infra:up`. */
const STATE_ENV = resolve(__dirname, '../../../../../.state/infra/env');

/**
 * A VaultTransitKms on the project's OpenBao (`pnpm infra:up`; or VAULT_ADDR + VAULT_TOKEN_FILE
 * exported). Throws, so the test fails rather than skips, when it is not there.
 */
export async function connectOpenBao(): Promise<VaultTransitKms> {
  const fromFile: Record<string, string> = {};
  if (existsSync(STATE_ENV)) {
    for (const line of readFileSync(STATE_ENV, 'utf8').split('\n')) {
      const match = /^(?:export\s+)?([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match) fromFile[match[1]!] = match[2]!.replace(/^['"]|['"]$/g, '');
    }
  }
  const get = (name: string): string | undefined => process.env[name] ?? fromFile[name];
  const address = get('VAULT_ADDR');
  const tokenFile = get('VAULT_TOKEN_FILE');
  if (!address || !tokenFile || !existsSync(tokenFile)) {
    throw new Error(`OpenBao is not provisioned (VAULT_ADDR / VAULT_TOKEN_FILE, or ${STATE_ENV}): run \`pnpm infra:up\``);
  }
  const kms = new VaultTransitKms({ address, tokenFile, mountPath: get('VAULT_TRANSIT_MOUNT') ?? 'transit', timeoutMs: 10_000 });
  if ((await kms.health()) !== 'ok') throw new Error(`OpenBao at ${address} is not reachable or is sealed: run \`pnpm infra:up\``);
  return kms;
}
