import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Envelope, type TranscriptSegment } from '@confide/contracts';
import {
  DevIssuer,
  EnvelopePayloadProtector,
  KafkaEventBus,
  MeetingKeyring,
  VaultTransitKms,
  createLogger,
  type Subscription,
} from '@confide/platform';
import { INFRA_ENV_FILE, readInfraEnv } from '@confide/testing';
import { PostgresDataKeyRepository, createStorageDataSource, storageKeys } from '@confide/storage-service';
// Storage's own read path (the code behind StorageService.GetTranscript), from the same sources
// the moduleNameMapper gives @confide/storage-service, so the content keys bound above apply.
import { PostgresMeetingQueryRepository } from '../../../services/storage/src/adapters/postgres/meeting-query.repository';

/**
 * The microservices mode for end-to-end tests: every service as its own
 * `node services/<name>/dist/main.js` process over the real Kafka, PostgreSQL and OpenBao of
 * scripts/infra (docs/adr/0007-microservices-mode.md), every payload on Kafka encrypted under
 * keys from OpenBao Transit (docs/adr/0010-key-hierarchy.md). Needs `pnpm build` and
 * `pnpm native:build`; scripts/test.sh does both and starts the infrastructure.
 */

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const SERVICE_NAMES = ['storage', 'lifecycle', 'transcription', 'insights', 'ingest', 'gateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const HEALTH_SCRIPT = path.join(REPO_ROOT, 'scripts', 'services', 'health.js');
/** Where scripts/infra's broker keeps its logs (every record it ever stored). */
export const KAFKA_DATA_DIR = path.join(REPO_ROOT, '.state', 'infra', 'kafka', 'data');
/** scripts/infra's PostgreSQL cluster (heap, WAL, ...). */
export const POSTGRES_DATA_DIR = path.join(REPO_ROOT, '.state', 'infra', 'postgres', 'data');
const STOP_GRACE_MS = 35_000;

export interface RunningMicroservices {
  /** host:port of the ingest gRPC listener (IngestService.StreamMeeting). */
  ingestAddress: string;
  /** http://host:port of the REST gateway (https:// with `tls`). */
  httpBaseUrl: string;
  /** With `tls`: the folder of ca.crt and <service>.crt/.key (scripts/certs/dev.sh). */
  certsDir: string | undefined;
  /**
   * A bearer token from the development OIDC issuer the gateway trusts (started by the harness in
   * the test process, as `pnpm start:services` starts scripts/services/dev-issuer.js).
   */
  /** `staff: true` mints a support-staff token (no tenant, no roles). */
  mintToken(opts: { tenant: string; roles?: string[]; mfa?: boolean; sub?: string; staff?: boolean }): Promise<string>;
  /** The environment the services got from scripts/infra (KAFKA_BROKERS, DATABASE_URL, ...). */
  infraEnv: Record<string, string>;
  /** host:port of a service's gRPC listener (storage also serves the key registry). */
  grpcAddress(name: Exclude<ServiceName, 'gateway'>): string;
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

function run(file: string, args: string[], timeoutMs: number, env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: REPO_ROOT, timeout: timeoutMs, ...(env ? { env: { ...process.env, ...env } } : {}) }, (err, stdout, stderr) => {
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
  const env = readInfraEnv(); // .state/infra/env, overridden by the same variables in the environment
  if (!env.KAFKA_BROKERS || !env.DATABASE_URL || !env.VAULT_ADDR || !env.VAULT_TOKEN_FILE) {
    throw new Error(
      `the microservices e2e tests need Kafka, PostgreSQL and OpenBao: ${INFRA_ENV_FILE} does not name KAFKA_BROKERS, DATABASE_URL, VAULT_ADDR and VAULT_TOKEN_FILE, and they are not in the environment. ` +
        'Start them with `bash scripts/infra/up.sh` (scripts/test.sh does it).',
    );
  }
  const status = await run('bash', [path.join(REPO_ROOT, 'scripts', 'infra', 'status.sh'), 'kafka', 'postgres', 'openbao'], 60_000);
  if (status.code !== 0) {
    throw new Error(
      `the microservices e2e tests need Kafka, PostgreSQL and OpenBao, and scripts/infra/status.sh reports:\n${status.stdout}${status.stderr}` +
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

/** A loopback port nothing listens on (bound once, then released): for a service, or as a closed port. */
export async function freePort(): Promise<number> {
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
export async function waitHealthy(
  kind: 'grpc' | 'http',
  target: string,
  waitSecs: number,
  /** HEALTH_TLS_* for services that serve TLS (scripts/services/health.js). */
  tlsEnv?: Record<string, string>,
): Promise<{ ok: boolean; status: string }> {
  const res = await run(process.execPath, [HEALTH_SCRIPT, kind, target, String(waitSecs)], (waitSecs + 15) * 1000, tlsEnv);
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
export async function startMicroservices(opts: {
  infraEnv: Record<string, string>;
  logLevel?: string;
  waitSecs?: number;
  /** Extra environment for every service (wins over the infrastructure's, e.g. another VAULT_ADDR). */
  env?: Record<string, string>;
  /** The services to start (default all six, in SERVICE_NAMES order). */
  services?: readonly ServiceName[];
  /**
   * Serve TLS 1.3 with mutual TLS between the services: a development CA and one certificate per
   * service from scripts/certs/dev.sh (in the log folder); the gateway serves HTTPS.
   */
  tls?: boolean;
}): Promise<RunningMicroservices> {
  const names = SERVICE_NAMES.filter((name) => (opts.services ?? SERVICE_NAMES).includes(name));
  const waitSecs = opts.waitSecs ?? 90;
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'confide-microservices-'));
  // Identity (docs/adr/0009-identity.md): a development OIDC issuer for the gateway, and ed25519
  // keys for the services that call others (gateway, lifecycle; ingest, transcription and
  // insights call the key registry), trusted by their callees.
  const issuer = await DevIssuer.start();
  const keyFile = (who: string, kind: 'key' | 'pub'): string => path.join(logDir, `${who}.${kind}.pem`);
  // Storage's key too: it reads the staff grants from lifecycle (lifecycle trusts it).
  const signers = ['gateway', 'lifecycle', 'ingest', 'transcription', 'insights'] as const;
  for (const who of [...signers, 'storage']) {
    const pair = generateKeyPairSync('ed25519');
    writeFileSync(keyFile(who, 'key'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(keyFile(who, 'pub'), pair.publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o600 });
  }
  const certsDir = path.join(logDir, 'certs');
  if (opts.tls) {
    const made = await run('bash', [path.join(REPO_ROOT, 'scripts', 'certs', 'dev.sh'), ...SERVICE_NAMES, 'meeting-bot'], 60_000, { CERTS_DIR: certsDir });
    if (made.code !== 0) throw new Error(`scripts/certs/dev.sh failed:\n${made.stdout}${made.stderr}`);
  }
  const tlsEnv = (name: ServiceName): Record<string, string> =>
    opts.tls
      ? {
          TLS_CERT_FILE: path.join(certsDir, `${name}.crt`),
          TLS_KEY_FILE: path.join(certsDir, `${name}.key`),
          TLS_CA_FILE: path.join(certsDir, 'ca.crt'),
        }
      : {};
  const httpScheme = opts.tls ? 'https' : 'http';
  // The probe presents the gateway's certificate (any certificate of the CA passes mTLS).
  const probeTls = opts.tls
    ? { HEALTH_TLS_CA_FILE: path.join(certsDir, 'ca.crt'), HEALTH_TLS_CERT_FILE: path.join(certsDir, 'gateway.crt'), HEALTH_TLS_KEY_FILE: path.join(certsDir, 'gateway.key') }
    : undefined;
  const identityEnv: Partial<Record<ServiceName, Record<string, string>>> = {
    gateway: { OIDC_ISSUER: issuer.issuer, OIDC_JWKS_URL: issuer.jwksUrl, SUBJECT_ASSERTION_KEY_FILE: keyFile('gateway', 'key') },
    storage: { SUBJECT_ASSERTION_TRUSTED_KEYS: signers.map((who) => `${who}=${keyFile(who, 'pub')}`).join(','), SUBJECT_ASSERTION_KEY_FILE: keyFile('storage', 'key') },
    lifecycle: {
      SUBJECT_ASSERTION_TRUSTED_KEYS: `gateway=${keyFile('gateway', 'pub')},storage=${keyFile('storage', 'pub')}`,
      SUBJECT_ASSERTION_KEY_FILE: keyFile('lifecycle', 'key'),
    },
    // Meeting bots present the end user's token to ingest (meeting:stream).
    ingest: { OIDC_ISSUER: issuer.issuer, OIDC_JWKS_URL: issuer.jwksUrl, SUBJECT_ASSERTION_KEY_FILE: keyFile('ingest', 'key') },
    // Their gRPC services answer the gateway only (GET /api/tenant/processing).
    transcription: { SUBJECT_ASSERTION_KEY_FILE: keyFile('transcription', 'key'), SUBJECT_ASSERTION_TRUSTED_KEYS: `gateway=${keyFile('gateway', 'pub')}` },
    insights: { SUBJECT_ASSERTION_KEY_FILE: keyFile('insights', 'key'), SUBJECT_ASSERTION_TRUSTED_KEYS: `gateway=${keyFile('gateway', 'pub')}` },
  };
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
    TRANSCRIPTION_GRPC_ADDR: addr('transcription'),
    INSIGHTS_GRPC_ADDR: addr('insights'),
    GATEWAY_HTTP_ADDR: addr('gateway'),
    // A short completion wait keeps a failing run from hanging the suite.
    INGEST_COMPLETION_TIMEOUT: '90s',
    // Keys: OpenBao Transit (VAULT_ADDR, VAULT_TOKEN_FILE from the infrastructure), the registry in storage.
    KMS: 'vault',
    KEY_REGISTRY_GRPC_ADDR: addr('storage'),
    ...opts.env,
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
      await issuer.stop();
      if (process.env.CONFIDE_E2E_KEEP_LOGS !== '1') rmSync(logDir, { recursive: true, force: true });
    })());

  for (const name of names) {
    const env: NodeJS.ProcessEnv = { ...base, ...identityEnv[name], ...tlsEnv(name) };
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
    names.map(async (name) => {
      const result =
        name === 'gateway'
          ? await waitHealthy('http', `${httpScheme}://${addr(name)}/readyz`, waitSecs, probeTls)
          : await waitHealthy('grpc', addr(name), waitSecs, probeTls);
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
    httpBaseUrl: `${httpScheme}://${addr('gateway')}`,
    certsDir: opts.tls ? certsDir : undefined,
    mintToken: ({ tenant, roles = ['admin'], mfa = true, sub = 'e2e-user', staff = false }) =>
      issuer.mint(staff ? { sub, staff: true, mfa } : { sub, tenant, roles, mfa }),
    infraEnv: opts.infraEnv,
    grpcAddress: (name) => addr(name),
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

/** One gRPC health probe (no waiting): "SERVING", "NOT_SERVING", or the error. */
export async function grpcHealthNow(address: string): Promise<string> {
  return (await waitHealthy('grpc', address, 0)).status;
}

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/**
 * The files under `dir` whose bytes contain `needle` (UTF-8), as paths relative to `dir`. Files
 * that vanish while scanning (a rotated segment) are skipped.
 */
export function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle, 'utf8');
  const found: string[] = [];
  for (const file of filesUnder(dir)) {
    try {
      if (statSync(file).size > 0 && readFileSync(file).includes(bytes)) found.push(path.relative(dir, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return found;
}

/**
 * CHECKPOINT + WAL switch on scripts/infra's PostgreSQL as its superuser (over its Unix socket,
 * as the `postgres` OS user when we are root), so that what was committed is in the data files
 * a byte scan reads. Throws with the script's output when it fails.
 */
export async function checkpointInfraPostgres(): Promise<void> {
  const script =
    '. scripts/infra/lib.sh && bin=$(pg_bindir) && as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR/run" -p "$POSTGRES_PORT" -U postgres -d confide ' +
    '-c "CHECKPOINT" -c "SELECT pg_switch_wal()" > /dev/null';
  const res = await run('bash', ['-c', script], 60_000);
  if (res.code !== 0) throw new Error(`CHECKPOINT on the infrastructure's PostgreSQL failed: ${res.stderr || res.stdout}`);
}

export interface PrivateOpenBao {
  /** http://127.0.0.1:<port> */
  vaultAddr: string;
  /** The `confide` token's file (the services read it; the token never goes into an environment). */
  tokenFile: string;
  /** Stops the server (SIGTERM, waits until gone; data kept). */
  stop(): Promise<void>;
  /** Starts it again (unsealed with its own key, same Transit keys). */
  start(): Promise<void>;
  /** Stops it and deletes its state. */
  destroy(): Promise<void>;
}

/**
 * A private OpenBao on its own loopback port and state folder (scripts/infra/openbao-private.sh):
 * for tests that stop and start the KMS without touching the shared one others' tests use.
 */
export async function startPrivateOpenBao(): Promise<PrivateOpenBao> {
  const script = path.join(REPO_ROOT, 'scripts', 'infra', 'openbao-private.sh');
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'confide-openbao-'));
  const port = String(await freePort());
  const call = async (action: 'up' | 'down'): Promise<string> => {
    const res = await run('bash', [script, action, stateDir, port], 150_000);
    if (res.code !== 0) throw new Error(`openbao-private.sh ${action} failed:\n${res.stderr.split('\n').slice(-20).join('\n')}`);
    return res.stdout;
  };
  const out = await call('up');
  const value = (name: string): string => {
    const match = new RegExp(`^${name}=(.*)$`, 'm').exec(out);
    if (!match) throw new Error(`openbao-private.sh up printed no ${name}`);
    return match[1]!;
  };
  return {
    vaultAddr: value('VAULT_ADDR'),
    tokenFile: value('VAULT_TOKEN_FILE'),
    stop: async () => void (await call('down')),
    start: async () => void (await call('up')),
    destroy: async () => {
      await call('down');
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * Reads what storage stored, the way storage's StorageService reads it (row-level security under
 * the application role, content columns opened with the meeting keys from the registry and the
 * KMS), for tests that check the stored transcript without going through the gateway. A
 * `protector` opens raw bus records with the same keys.
 */
export interface StoredContentReader {
  transcript(tenantId: string, meetingId: string): Promise<TranscriptSegment[] | undefined>;
  /** The registry state of a meeting key: 'active', 'erased' or undefined (none). */
  keyState(tenantId: string, meetingId: string, purpose: 'meeting' | 'audio'): Promise<string | undefined>;
  protector: EnvelopePayloadProtector;
  close(): Promise<void>;
}

export async function openStoredContent(opts: {
  databaseUrl: string;
  vaultAddr: string;
  tokenFile: string;
}): Promise<StoredContentReader> {
  const logger = createLogger({ service: 'e2e-reader', level: 'silent' });
  const dataSource = createStorageDataSource({ databaseUrl: opts.databaseUrl, poolSize: 2 });
  await dataSource.initialize();
  // The wrapped keys straight from storage's data_keys table (as the application role, under RLS):
  // the registry's RPCs are for the services' identities only (ADR 0009).
  const registry = new PostgresDataKeyRepository(dataSource);
  const kms = new VaultTransitKms({ address: opts.vaultAddr, tokenFile: opts.tokenFile });
  // Readers only: never creates a tenant key or a data key.
  const keyring = new MeetingKeyring({ kms, registry, provisionTenantKeys: false });
  const unbind = storageKeys(dataSource, logger, { keyring }).bind();
  const queries = new PostgresMeetingQueryRepository(dataSource);
  return {
    transcript: (tenantId, meetingId) => queries.getTranscript({ tenantId, meetingId }),
    keyState: async (tenantId, meetingId, purpose) => (await registry.get(tenantId, meetingId, purpose))?.state,
    protector: new EnvelopePayloadProtector(keyring),
    close: async () => {
      unbind();
      keyring.clear();
      await dataSource.destroy();
    },
  };
}

/** Raw records of a meeting on some topics, as Kafka stores them (no decryption). */
export interface RawTopicReader {
  /** The envelopes of the meeting seen so far on `topic`, deduplicated by event id. */
  envelopes(topic: string): Envelope[];
  close(): Promise<void>;
}

/**
 * Consumes `topics` from the beginning in a fresh consumer group with a plain KafkaEventBus (no
 * payload protector: it sees the bytes the broker stores) and keeps the envelopes of `meetingId`.
 */
export async function readRawTopics(brokers: string, topics: string[], meetingId: string): Promise<RawTopicReader> {
  const bus = new KafkaEventBus({ brokers: brokers.split(','), clientId: `e2e-raw-${randomUUID().slice(0, 8)}` });
  const seen = new Map<string, Map<string, Envelope>>(topics.map((t) => [t, new Map()]));
  let subscription: Subscription;
  try {
    subscription = await bus.subscribe({
      groupId: `e2e-raw-${randomUUID()}`,
      topics,
      fromBeginning: true,
      handler: async (message) => {
        if (message.key !== meetingId) return;
        const envelope = Envelope.decode(message.value);
        seen.get(message.topic)?.set(envelope.id, envelope);
      },
    });
  } catch (err) {
    await bus.close();
    throw err;
  }
  return {
    envelopes: (topic) => [...(seen.get(topic)?.values() ?? [])],
    close: async () => {
      await subscription.close();
      await bus.close();
    },
  };
}
