import { InProcessEventBus, createLogger } from '@confide/platform';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createStorageModule, resolveStorageDatabase } from '../../src';
import { createStorageDataSource, migrateStorage } from '../../src/adapters/postgres/data-source';
import { startEmbeddedPostgres } from '../../src/adapters/postgres/embedded-postgres';
import { PostgresMeetingQueryRepository } from '../../src/adapters/postgres/meeting-query.repository';
import { PostgresMeetingRecordRepository } from '../../src/adapters/postgres/meeting-record.repository';
import { DB_START_TIMEOUT_MS } from './support/embedded-db';

const logger = createLogger({ service: 'storage-it', level: 'silent' });
const FLAGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'confide-storage-roles-'));
});

afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

async function sql<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const whoAmI = (url: string) =>
  sql(url, async (c) => (await c.query('SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user')).rows[0]);

describe('embedded PostgreSQL roles', () => {
  it('creates the application role at first init: url connects as confide_app, migrationUrl as the owner', async () => {
    const pg = await startEmbeddedPostgres({ stateDir, postgresFlags: FLAGS });
    try {
      expect(await whoAmI(pg.url)).toEqual({ rolname: 'confide_app', rolsuper: false, rolbypassrls: false });
      expect(await whoAmI(pg.migrationUrl)).toEqual({ rolname: 'confide', rolsuper: true, rolbypassrls: true });
      expect(pg.appUser).toBe('confide_app');
      expect((await stat(join(stateDir, 'postgres-app.password'))).mode & 0o777).toBe(0o600);
      const attributes = await sql(pg.migrationUrl, async (c) =>
        (await c.query(`SELECT rolcanlogin, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = 'confide_app'`)).rows[0],
      );
      expect(attributes).toEqual({ rolcanlogin: true, rolcreatedb: false, rolcreaterole: false, rolreplication: false });
      const owner = createStorageDataSource({ databaseUrl: pg.migrationUrl, poolSize: 2 });
      try {
        await migrateStorage(owner);
      } finally {
        await owner.destroy();
      }
    } finally {
      await pg.stop();
    }
  }, DB_START_TIMEOUT_MS);

  it('upgrades a state folder from before the application role (role, password file and grants on existing tables)', async () => {
    // Back to the old layout: no application role, no password file, tables already migrated.
    const old = await startEmbeddedPostgres({ stateDir, postgresFlags: FLAGS });
    try {
      await sql(old.migrationUrl, async (c) => {
        await c.query('DROP OWNED BY confide_app');
        await c.query('DROP ROLE confide_app');
      });
    } finally {
      await old.stop();
    }
    await rm(join(stateDir, 'postgres-app.password'));

    const db = await resolveStorageDatabase({ STATE_DIR: stateDir, EMBEDDED_POSTGRES_PORT: 0, DATABASE_URL: undefined }, logger);
    try {
      expect(db.kind).toBe('embedded');
      expect(existsSync(join(stateDir, 'postgres-app.password'))).toBe(true);
      expect(await whoAmI(db.url)).toMatchObject({ rolname: 'confide_app', rolsuper: false, rolbypassrls: false });
      const dataSource = createStorageDataSource({ databaseUrl: db.url, poolSize: 1 });
      try {
        const records = new PostgresMeetingRecordRepository(dataSource);
        await dataSource.initialize();
        const ref = { tenantId: 'tenant-up', meetingId: 'm-1' };
        expect(await records.recordMeetingStarted({ ...ref, title: 'After upgrade', participants: [], startedAtMs: 1 })).toBe('stored');
        expect((await new PostgresMeetingQueryRepository(dataSource).getMeeting(ref))?.title).toBe('After upgrade');
        expect(await dataSource.query('SELECT * FROM meetings')).toEqual([]);
      } finally {
        await dataSource.destroy();
      }
    } finally {
      await db.stop();
    }
  }, DB_START_TIMEOUT_MS * 2);

  it('migrates with the owner when a caller passes only the application url (callers from before migrationDatabaseUrl)', async () => {
    const pg = await startEmbeddedPostgres({ stateDir, postgresFlags: FLAGS });
    const bus = new InProcessEventBus({ logger });
    try {
      await pg.createDatabase('compat');
      const module = createStorageModule({ logger, bus, databaseUrl: pg.urlFor('compat'), poolSize: 2 });
      await module.start();
      try {
        expect(await module.ready?.()).toBe(true);
      } finally {
        await module.stop();
      }
      const owners = await sql(pg.migrationUrlFor('compat'), async (c) =>
        (await c.query<{ tableowner: string }>(`SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'`)).rows,
      );
      expect(owners).toEqual([{ tableowner: 'confide' }]);
    } finally {
      await bus.close();
      await pg.stop();
    }
  }, DB_START_TIMEOUT_MS);
});
