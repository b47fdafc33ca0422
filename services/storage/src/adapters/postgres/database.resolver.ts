import type { Logger } from '@confide/platform';
import { defaultStateDir, type StorageConfig } from '../../config';
import { startEmbeddedPostgres } from './embedded-postgres';
import { registerMigrationUrl } from './migration-url.registry';

export interface ResolvedDatabase {
  /**
   * The application role's URL: what the storage module serves with (row-level security
   * applies to it). Contains the password: never log it.
   */
  url: string;
  /**
   * The URL of the role that owns the schema and runs the migrations (embedded: the
   * superuser; external: MIGRATION_DATABASE_URL, default DATABASE_URL). Contains the password.
   */
  migrationUrl: string;
  /** Embedded: "embedded"; otherwise "external". */
  kind: 'embedded' | 'external';
  /** Stops the embedded cluster; no-op for an external database. */
  stop(): Promise<void>;
}

/**
 * DATABASE_URL (+ MIGRATION_DATABASE_URL) when set; otherwise starts the embedded PostgreSQL
 * under STATE_DIR, with its application role `confide_app` (created on first start, also in
 * state folders from before it existed).
 *
 * Pass both to the module: `createStorageModule({ databaseUrl: db.url, migrationDatabaseUrl:
 * db.migrationUrl, ... })`. (A caller that passes only `databaseUrl: db.url` still migrates
 * with the right role: the pair is remembered in memory until `stop()`.)
 */
export async function resolveStorageDatabase(
  config: Pick<StorageConfig, 'DATABASE_URL' | 'STATE_DIR' | 'EMBEDDED_POSTGRES_PORT'> &
    Partial<Pick<StorageConfig, 'MIGRATION_DATABASE_URL'>>,
  logger: Logger,
): Promise<ResolvedDatabase> {
  if (config.DATABASE_URL) {
    const url = config.DATABASE_URL;
    const migrationUrl = config.MIGRATION_DATABASE_URL ?? url;
    const forget = registerMigrationUrl(url, migrationUrl);
    return {
      url,
      migrationUrl,
      kind: 'external',
      stop: async () => forget(),
    };
  }
  const pg = await startEmbeddedPostgres({
    stateDir: config.STATE_DIR ?? defaultStateDir(),
    port: config.EMBEDDED_POSTGRES_PORT,
    logger,
  });
  return { url: pg.url, migrationUrl: pg.migrationUrl, kind: 'embedded', stop: () => pg.stop() };
}
