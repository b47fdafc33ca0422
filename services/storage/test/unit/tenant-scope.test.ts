import { createLogger } from '@confide/platform';
import type { DataSource, EntityManager } from 'typeorm';
import { resolveStorageDatabase } from '../../src/adapters/postgres/database.resolver';
import { registeredMigrationUrl } from '../../src/adapters/postgres/migration-url.registry';
import { TenantScopedDatabase } from '../../src/adapters/postgres/tenant-scope';

/** A DataSource double recording the statements of its one transaction. */
function fakeDataSource() {
  const statements: Array<{ sql: string; params: unknown[] | undefined }> = [];
  const isolations: unknown[] = [];
  const manager = {
    query: jest.fn(async (sql: string, params?: unknown[]) => {
      statements.push({ sql, params });
      return [];
    }),
  } as unknown as EntityManager;
  const transaction = jest.fn(async (...args: unknown[]) => {
    const fn = args[args.length - 1] as (m: EntityManager) => Promise<unknown>;
    if (args.length > 1) isolations.push(args[0]);
    return fn(manager);
  });
  return { dataSource: { transaction } as unknown as DataSource, transaction, statements, isolations };
}

describe('withTenant', () => {
  it('sets app.tenant_id transaction-locally before anything else, then runs the work in the same transaction', async () => {
    const fake = fakeDataSource();
    const result = await new TenantScopedDatabase(fake.dataSource).withTenant('tenant-a', async (m) => {
      await m.query('SELECT 1 FROM meetings');
      return 'done';
    });
    expect(result).toBe('done');
    expect(fake.transaction).toHaveBeenCalledTimes(1);
    expect(fake.statements).toEqual([
      { sql: 'SELECT set_config($1, $2, true)', params: ['app.tenant_id', 'tenant-a'] },
      { sql: 'SELECT 1 FROM meetings', params: undefined },
    ]);
  });

  it('passes the isolation level on', async () => {
    const fake = fakeDataSource();
    await new TenantScopedDatabase(fake.dataSource).withTenant('tenant-a', async () => undefined, 'REPEATABLE READ');
    expect(fake.isolations).toEqual(['REPEATABLE READ']);
  });

  it('refuses an empty tenant without opening a transaction', async () => {
    const fake = fakeDataSource();
    await expect(new TenantScopedDatabase(fake.dataSource).withTenant('', async () => 'all tenants?')).rejects.toThrow(/tenant id/);
    expect(fake.transaction).not.toHaveBeenCalled();
  });
});

describe('resolveStorageDatabase (external)', () => {
  const logger = createLogger({ service: 'storage-test', level: 'silent' });

  it('serves with DATABASE_URL and migrates with MIGRATION_DATABASE_URL, remembered until stop()', async () => {
    const db = await resolveStorageDatabase(
      { DATABASE_URL: 'postgres://app:a@db/confide', MIGRATION_DATABASE_URL: 'postgres://owner:o@db/confide', EMBEDDED_POSTGRES_PORT: 0 },
      logger,
    );
    expect(db).toMatchObject({ kind: 'external', url: 'postgres://app:a@db/confide', migrationUrl: 'postgres://owner:o@db/confide' });
    expect(registeredMigrationUrl(db.url)).toBe('postgres://owner:o@db/confide');
    await db.stop();
    expect(registeredMigrationUrl(db.url)).toBeUndefined();
  });

  it('migrates with DATABASE_URL when no migration URL is given', async () => {
    const db = await resolveStorageDatabase({ DATABASE_URL: 'postgres://one:x@db/confide', EMBEDDED_POSTGRES_PORT: 0 }, logger);
    expect(db.migrationUrl).toBe(db.url);
    await db.stop();
  });
});
