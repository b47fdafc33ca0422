import type { Logger } from '@confide/platform';
import { defaultStateDir, type StorageConfig } from '../../config';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface ResolvedDatabase {
  /** Connection URL (contains the password: never log it). */
  url: string;
  /** Embedded: "embedded"; otherwise "external". */
  kind: 'embedded' | 'external';
  /** Stops the embedded cluster; no-op for an external database. */
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise starts the embedded PostgreSQL under STATE_DIR. */
export async function resolveStorageDatabase(
  config: Pick<StorageConfig, 'DATABASE_URL' | 'STATE_DIR' | 'EMBEDDED_POSTGRES_PORT'>,
  logger: Logger,
): Promise<ResolvedDatabase> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, kind: 'external', stop: async () => undefined };
  const pg = await startEmbeddedPostgres({
    stateDir: config.STATE_DIR ?? defaultStateDir(),
    port: config.EMBEDDED_POSTGRES_PORT,
    logger,
  });
  return { url: pg.url, kind: 'embedded', stop: () => pg.stop() };
}
