/**
 * Test helper: runs scripts/certs/dev.sh (the same script as `pnpm certs:dev`) into a
 * temporary CERTS_DIR and returns the paths it wrote. Needs the `openssl` CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const DEV_CERTS_SCRIPT = resolve(__dirname, '../../../../../scripts/certs/dev.sh');

export interface DevCerts {
  dir: string;
  ca: { cert: string; key: string };
  /** `<name>.crt` / `<name>.key` of a service. */
  service(name: string): { cert: string; key: string };
  remove(): void;
}

export function runDevCertsScript(dir: string, args: string[] = []): string {
  return execFileSync('bash', [DEV_CERTS_SCRIPT, ...args], {
    env: { ...process.env, CERTS_DIR: dir },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function makeDevCerts(prefix = 'confide-certs-', args: string[] = []): DevCerts {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  runDevCertsScript(dir, args);
  return {
    dir,
    ca: { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') },
    service: (name) => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
