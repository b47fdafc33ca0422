import { DB_START_TIMEOUT_MS, startTestDatabase } from './support/embedded-db';
import { describeRowLevelSecurity } from './support/row-level-security.suite';

describeRowLevelSecurity(
  'row-level security (embedded PostgreSQL, application role confide_app)',
  async () => {
    const db = await startTestDatabase();
    return { appUrl: db.pg.url, migrationUrl: db.pg.migrationUrl, dispose: () => db.dispose() };
  },
  DB_START_TIMEOUT_MS,
);
