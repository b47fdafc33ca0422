import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

/**
 * The microservices mode for end-to-end tests: every service as its own
 * `node services/<name>/dist/main.js` process over the real Kafka and PostgreSQL of
 * scripts/infra (docs/adr/0007-microservices-mode.md). Needs `pnpm build` and
 * `pnpm native:build`; scripts/test.sh does both and starts the infrastructure.
 */

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const SERVICE_NAMES = ['storage', 'lifecycle', 'transcription', 'insights', 'ingest', 'gateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const HEALTH_SCRIPT = path.join(REPO_ROOT, 'scripts', 'services', 'health.js');
const INFRA_ENV_FILE = path.join(REPO_ROOT, '.state', 'infra', 'env');
const STOP_GRACE_MS = 35_000;

export interface RunningMicroservices {
  /** host:port of the ingest gRPC listener (IngestService.StreamMeeting). */
  ingestAddress: string;
  /** http://host:port of the REST gateway. */
  httpBaseUrl: string;
  /** The environment the services got from scripts/infra (KAFKA_BROKERS, DATABASE_URL, ...). */
  infraEnv: Record<string, string>;
  /** Folder of the services' logs (`<name>.log`). */
  logDir: string;
  /** The last lines of a service's log (for failure messages; logs carry no content). */
  logTail(name: ServiceName, lines?: number): string;
  /**
   * SIGTERM to every process, SIGKILL to those still running after 35 s; removes the logs
   * (kept in `logDir` when CONFIDE_E2E_KEEP_LOGS=1). Idempotent.
   */
  stop(): Promise<void>;
}

/** `[export ]KEY=VALUE` lines of .state/infra/env (written by scripts/infra/up.sh); quotes are stripped. */
function readInfraEnv(): Record<string, string> {
  if (!existsSync(INFRA_ENV_FILE)) return {};
  const env: Record<string, string> = {};
  for (const line of readFileSync(INFRA_ENV_FILE, 'utf8').split('\n')) {
    const match = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1]] = match[2].replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return env;
}

function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: REPO_ROOT, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * Fails (never skips) with a clear message when Kafka or PostgreSQL of scripts/infra does not
 * answer, or when the build outputs are missing. Returns the infrastructure environment.
 */
export async function requireInfrastructure(): Promise<Record<string, string>> {
  const env = { ...readInfraEnv() };
  for (const name of ['KAFKA_BROKERS', 'DATABASE_URL', 'MIGRATION_DATABASE_URL']) {
    if (process.env[name]) env[name] = process.env[name] as string;
  }
  if (!env.KAFKA_BROKERS || !env.DATABASE_URL) {
    throw new Error(
      `the microservices e2e tests need Kafka and PostgreSQL: ${INFRA_ENV_FILE} does not name KAFKA_BROKERS and DATABASE_URL, and they are not in the environment. ` +
        'Start them with `bash scripts/infra/up.sh` (scripts/test.sh does it).',
    );
  }
  const status = await run('bash', [path.join(REPO_ROOT, 'scripts', 'infra', 'status.sh'), 'kafka', 'postgres'], 60_000);
  if (status.code !== 0) {
    throw new Error(
      `the microservices e2e tests need Kafka and PostgreSQL, and scripts/infra/status.sh reports:\n${status.stdout}${status.stderr}` +
        'Start them with `bash scripts/infra/up.sh` (scripts/test.sh does it).',
    );
  }
  for (const name of SERVICE_NAMES) {
    const main = path.join(REPO_ROOT, 'services', name, 'dist', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`pnpm build\` first`);
  }
  if (!existsSync(path.join(REPO_ROOT, 'services', 'transcription', 'native', 'bin', 'ps-stream'))) {
    throw new Error('services/transcription/native/bin/ps-stream is missing: run `pnpm native:build` first');
  }
  return env;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls the service's health (grpc.health.v1 or GET /readyz for the gateway) until SERVING or `waitSecs`. */
export async function waitHealthy(kind: 'grpc' | 'http', target: string, waitSecs: number): Promise<{ ok: boolean; status: string }> {
  const res = await run(process.execPath, [HEALTH_SCRIPT, kind, target, String(waitSecs)], (waitSecs + 15) * 1000);
  return { ok: res.code === 0, status: res.stdout.trim() || res.stderr.trim() };
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * Spawns the six services on free loopback ports, each with its own log file, and waits until
 * each is healthy (throws with the failing services' log tails otherwise; the processes are
 * stopped before it throws).
 */
export async function startMicroservices(opts: { infraEnv: Record<string, string>; logLevel?: string; waitSecs?: number }): Promise<RunningMicroservices> {
  const waitSecs = opts.waitSecs ?? 90;
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'confide-microservices-'));
  const ports = new Map<ServiceName, number>();
  for (const name of SERVICE_NAMES) ports.set(name, await freePort());
  const addr = (name: ServiceName): string => `127.0.0.1:${ports.get(name)}`;
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG,
    ...opts.infraEnv,
    EVENT_BUS: 'kafka',
    LOG_LEVEL: opts.logLevel ?? 'info',
    STORAGE_GRPC_ADDR: addr('storage'),
    LIFECYCLE_GRPC_ADDR: addr('lifecycle'),
    GATEWAY_HTTP_ADDR: addr('gateway'),
    // A short completion wait keeps a failing run from hanging the suite.
    INGEST_COMPLETION_TIMEOUT: '90s',
  };
  const children = new Map<ServiceName, ChildProcess>();
  const logFile = (name: ServiceName): string => path.join(logDir, `${name}.log`);
  const logTail = (name: ServiceName, lines = 30): string => {
    try {
      return readFileSync(logFile(name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const all = [...children.values()];
      for (const child of all) if (!exited(child)) child.kill('SIGTERM');
      await Promise.all(
        all.map(async (child) => {
          if (await waitExit(child, STOP_GRACE_MS)) return;
          child.kill('SIGKILL');
          await waitExit(child, 5_000);
        }),
      );
      if (process.env.CONFIDE_E2E_KEEP_LOGS !== '1') rmSync(logDir, { recursive: true, force: true });
    })());

  for (const name of SERVICE_NAMES) {
    const env: NodeJS.ProcessEnv = { ...base };
    if (name === 'gateway') env.GATEWAY_HTTP_ADDR = addr(name);
    else env.GRPC_ADDR = addr(name);
    if (name === 'ingest') env.INGEST_INSTANCE_ID = `e2e-${randomUUID().slice(0, 8)}`;
    const fd = openSync(logFile(name), 'a');
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'services', name, 'dist', 'main.js')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    children.set(name, child);
  }

  const health = await Promise.all(
    SERVICE_NAMES.map(async (name) => {
      const result =
        name === 'gateway' ? await waitHealthy('http', `http://${addr(name)}/readyz`, waitSecs) : await waitHealthy('grpc', addr(name), waitSecs);
      return { name, ...result };
    }),
  );
  const failed = health.filter((h) => !h.ok);
  if (failed.length > 0) {
    const detail = failed.map((f) => `--- ${f.name}: ${f.status}\n${logTail(f.name)}`).join('\n');
    await stop();
    throw new Error(`services did not become healthy within ${waitSecs}s:\n${detail}`);
  }

  return {
    ingestAddress: addr('ingest'),
    httpBaseUrl: `http://${addr('gateway')}`,
    infraEnv: opts.infraEnv,
    logDir,
    logTail,
    stop,
  };
}

/** Polls `probe` every `intervalMs` until it returns a value other than undefined, or throws at the deadline. */
export async function pollUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
