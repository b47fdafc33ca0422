import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@confide/storage-service';
import { Client } from 'pg';
import type { TestDatabaseUrls } from './lifecycle-db';

/** Debian's PostgreSQL 15 (the project's scripts install it): its pg_dump / pg_restore match the server. */
export const PG15_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A private PostgreSQL 15 cluster laid out like the infra one (`scripts/infra/up.sh`): a database
 * owned by `confide_migrator` (NOSUPERUSER, NOBYPASSRLS — the migration role that runs
 * pg_restore), the application role `confide_app` with data privileges only. Private, because a
 * restore with `--clean` replaces the whole database.
 */
export interface RestoreCluster extends TestDatabaseUrls {
  binDir: string;
  /** `confide_backup`: LOGIN BYPASSRLS, SELECT only — the role `scripts/db/dump.sh` runs as. */
  backupUrl: string;
}

export async function startRestoreCluster(): Promise<RestoreCluster> {
  if (!existsSync(join(PG15_BIN, 'pg_restore')) || !existsSync(join(PG15_BIN, 'postgres'))) {
    throw new Error(`PostgreSQL 15 binaries not found in ${PG15_BIN}: run \`bash scripts/bootstrap.sh test\` (or set PG_BIN).`);
  }
  const stateDir = await mkdtemp(join(tmpdir(), 'confide-restore-it-'));
  const pg = await startEmbeddedPostgres({
    stateDir,
    binDir: PG15_BIN,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  const database = 'confide_restore';
  const password = randomBytes(18).toString('hex');
  const backupPassword = randomBytes(18).toString('hex');
  const su = new Client({ connectionString: pg.migrationUrl });
  await su.connect();
  try {
    await su.query(`CREATE ROLE confide_migrator LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD '${password}'`);
    await su.query(`CREATE ROLE confide_backup LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD '${backupPassword}'`);
    await su.query(`CREATE DATABASE ${database} OWNER confide_migrator ENCODING 'UTF8'`);
    await su.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
    await su.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO confide_app`);
    await su.query(`GRANT CONNECT ON DATABASE ${database} TO confide_backup`);
  } finally {
    await su.end();
  }
  const inDb = new Client({ connectionString: pg.migrationUrlFor(database) });
  await inDb.connect();
  try {
    await inDb.query('ALTER SCHEMA public OWNER TO confide_migrator');
    await inDb.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    await inDb.query('GRANT USAGE ON SCHEMA public TO confide_app, confide_backup');
    await inDb.query('ALTER DEFAULT PRIVILEGES FOR ROLE confide_migrator IN SCHEMA public GRANT SELECT ON TABLES TO confide_backup');
    await inDb.query('ALTER DEFAULT PRIVILEGES FOR ROLE confide_migrator IN SCHEMA public GRANT SELECT ON SEQUENCES TO confide_backup');
    await inDb.query('ALTER DEFAULT PRIVILEGES FOR ROLE confide_migrator IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO confide_app');
    await inDb.query('ALTER DEFAULT PRIVILEGES FOR ROLE confide_migrator IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO confide_app');
    await inDb.query('ALTER DEFAULT PRIVILEGES FOR ROLE confide_migrator IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO confide_app');
  } finally {
    await inDb.end();
  }
  return {
    binDir: PG15_BIN,
    appUrl: pg.urlFor(database),
    migrationUrl: `postgres://confide_migrator:${password}@${pg.host}:${pg.port}/${database}`,
    backupUrl: `postgres://confide_backup:${backupPassword}@${pg.host}:${pg.port}/${database}`,
    async dispose() {
      await pg.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
