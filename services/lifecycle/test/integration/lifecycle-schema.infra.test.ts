import { describeLifecycleSchema } from './support/lifecycle-schema.suite';
import { infraTestDatabase } from './support/lifecycle-db';

/**
 * The same suite on the project's infra PostgreSQL (`bash scripts/infra/up.sh postgres`), where
 * the migration role confide_migrator is not a superuser (RLS binds it: FORCE). Fails, never
 * skips, without it. Rows use run-unique tenants in the shared `confide` database.
 */
describeLifecycleSchema('lifecycle schema (infra PostgreSQL, roles confide_app / confide_migrator)', infraTestDatabase, 60_000);
