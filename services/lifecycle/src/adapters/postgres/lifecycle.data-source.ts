import { DataSource } from 'typeorm';
import { lifecycleMigrations } from './migrations';

/** Lifecycle's migration history; storage keeps its own (`storage_migrations`) in the same database. */
export const LIFECYCLE_MIGRATIONS_TABLE = 'lifecycle_migrations';

export interface LifecycleDataSourceOptions {
  databaseUrl: string;
  /** Pool size. Default 5. */
  poolSize?: number;
}

/**
 * The lifecycle DataSource (not initialized): raw SQL through TypeORM's EntityManager, no
 * entities, never `synchronize` — the schema comes only from the migrations (`migrateLifecycle`,
 * run as the migration role).
 */
export function createLifecycleDataSource(options: LifecycleDataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.databaseUrl,
    entities: [],
    migrations: lifecycleMigrations,
    migrationsTableName: LIFECYCLE_MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    applicationName: 'confide-lifecycle',
    poolSize: options.poolSize ?? 5,
  });
}

/** Session advisory lock key serialising lifecycle migration runs of several replicas ("cflcmig"). */
const MIGRATION_LOCK_KEY = 0x63666c63;

/**
 * Applies pending lifecycle migrations, each in its own transaction, under an advisory lock
 * (replicas starting together migrate one after the other). Returns the names applied.
 * Give it a DataSource connected as the migration role (`MIGRATION_DATABASE_URL`).
 */
export async function migrateLifecycle(dataSource: DataSource): Promise<string[]> {
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

/** Migrates through a short-lived connection as the migration role, then closes it. */
export async function migrateLifecycleDatabase(migrationDatabaseUrl: string): Promise<string[]> {
  const ds = createLifecycleDataSource({ databaseUrl: migrationDatabaseUrl, poolSize: 2 });
  try {
    return await migrateLifecycle(ds);
  } finally {
    if (ds.isInitialized) await ds.destroy();
  }
}
