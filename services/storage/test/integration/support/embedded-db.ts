import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../src/adapters/postgres/embedded-postgres';

/** Startup of a throwaway cluster (initdb + start) on a busy 2-core machine. */
export const DB_START_TIMEOUT_MS = 120_000;

export interface TestDatabase {
  pg: EmbeddedPostgres;
  stateDir: string;
  /** Stops the cluster and removes its folder. */
  dispose(): Promise<void>;
}

/** A real PostgreSQL in a fresh temporary state folder; durability off (throwaway data). */
export async function startTestDatabase(): Promise<TestDatabase> {
  const stateDir = await mkdtemp(join(tmpdir(), 'confide-storage-it-'));
  const pg = await startEmbeddedPostgres({
    stateDir,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  return {
    pg,
    stateDir,
    async dispose() {
      await pg.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
