import { describeLifecycleSchema } from './support/lifecycle-schema.suite';
import { DB_START_TIMEOUT_MS, startEmbeddedTestDatabase } from './support/lifecycle-db';

describeLifecycleSchema('lifecycle schema (embedded PostgreSQL, application role confide_app)', startEmbeddedTestDatabase, DB_START_TIMEOUT_MS);
