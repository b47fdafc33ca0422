import { Client } from 'pg';
import { describeRowLevelSecurity } from './support/row-level-security.suite';
import { INFRA_ENV_FILE, readInfraEnv } from '@confide/testing';

/**
 * The row-level-security suite against the project's real PostgreSQL (scripts/infra): the
 * application role confide_app (DATABASE_URL) and the migration role confide_migrator
 * (MIGRATION_DATABASE_URL), both NOSUPERUSER, from the environment or .state/infra/env
 * (`bash scripts/infra/up.sh postgres`). Fails, never skips, when it is not there.
 * Migrates the shared `confide` database; its rows use run-unique tenants, removed after.
 */

function infraUrls(): { appUrl: string; migrationUrl: string } {
  const fromFile = readInfraEnv();
  const appUrl = process.env.DATABASE_URL ?? fromFile.DATABASE_URL;
  const migrationUrl = process.env.MIGRATION_DATABASE_URL ?? fromFile.MIGRATION_DATABASE_URL;
  if (!appUrl || !migrationUrl) {
    throw new Error(
      `DATABASE_URL and MIGRATION_DATABASE_URL are not set and ${INFRA_ENV_FILE} does not provide them: ` +
        'start PostgreSQL with `bash scripts/infra/up.sh postgres` (or export both variables).',
    );
  }
  return { appUrl, migrationUrl };
}

describeRowLevelSecurity(
  'row-level security (infra PostgreSQL, roles confide_app / confide_migrator)',
  async () => {
    const urls = infraUrls();
    const probe = new Client({ connectionString: urls.appUrl, connectionTimeoutMillis: 5000 });
    try {
      await probe.connect();
    } catch (err) {
      // The message names the host, never the URL (it holds the password).
      throw new Error(
        `PostgreSQL of DATABASE_URL is not reachable (${(err as Error).message}): start it with ` +
          '`bash scripts/infra/up.sh postgres` (check with `bash scripts/infra/status.sh postgres`).',
        { cause: err },
      );
    } finally {
      await probe.end().catch(() => undefined);
    }
    return { ...urls, dispose: async () => undefined };
  },
  60_000,
);
