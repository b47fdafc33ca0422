import { existsSync } from 'node:fs';
import { VaultTransitKms } from '@confide/platform';
import { INFRA_ENV_FILE, readInfraEnv } from '@confide/testing';

/** `.state/infra/env`, written by `pnpm infra:up`. */

/**
 * A VaultTransitKms on the project's OpenBao (`pnpm infra:up`; or VAULT_ADDR + VAULT_TOKEN_FILE
 * exported). Throws, so the test fails rather than skips, when it is not there.
 */
export async function connectOpenBao(): Promise<VaultTransitKms> {
  const fromFile = readInfraEnv();
  const get = (name: string): string | undefined => process.env[name] ?? fromFile[name];
  const address = get('VAULT_ADDR');
  const tokenFile = get('VAULT_TOKEN_FILE');
  if (!address || !tokenFile || !existsSync(tokenFile)) {
    throw new Error(`OpenBao is not provisioned (VAULT_ADDR / VAULT_TOKEN_FILE, or ${INFRA_ENV_FILE}): run \`pnpm infra:up\``);
  }
  const kms = new VaultTransitKms({ address, tokenFile, mountPath: get('VAULT_TRANSIT_MOUNT') ?? 'transit', timeoutMs: 10_000 });
  if ((await kms.health()) !== 'ok') throw new Error(`OpenBao at ${address} is not reachable or is sealed: run \`pnpm infra:up\``);
  return kms;
}
