import { DataSource } from 'typeorm';
import { storageEntities } from './entities/storage.entities';
import { storageMigrations } from './migrations';

/** Table recording applied migrations; per service, so services can share one database. */
export const STORAGE_MIGRATIONS_TABLE = 'storage_migrations';

export interface StorageDataSourceOptions {
  databaseUrl: string;
  /** Pool size. Default 10. */
  poolSize?: number;
}

/**
 * The storage DataSource (not initialized). Never `synchronize`: the schema comes only from
 * the migrations, applied by `migrateStorage` (at module start, or a migration job).
 */
export function createStorageDataSource(options: StorageDataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.databaseUrl,
    entities: storageEntities,
    migrations: storageMigrations,
    migrationsTableName: STORAGE_MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    applicationName: 'confide-storage',
    poolSize: options.poolSize ?? 10,
  });
}

/** Session advisory lock key serialising migration runs of several replicas ("cfstmig"). */
const MIGRATION_LOCK_KEY = 0x63667374;

/**
 * Applies pending migrations, each in its own transaction, while holding an advisory lock
 * so that replicas starting together migrate one after the other. Returns the names applied.
 */
export async function migrateStorage(dataSource: DataSource): Promise<string[]> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
