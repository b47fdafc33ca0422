export { createStorageModule, type StorageModuleDeps } from './storage.module';
export { storageConfigSchema, defaultStateDir, type StorageConfig } from './config';
export {
  startEmbeddedPostgres,
  defaultBinDir as embeddedPostgresBinDir,
  EMBEDDED_APP_ROLE,
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
} from './adapters/postgres/embedded-postgres';
export { resolveStorageDatabase, type ResolvedDatabase } from './adapters/postgres/database.resolver';
export { createStorageDataSource, migrateStorage, STORAGE_MIGRATIONS_TABLE, type StorageDataSourceOptions } from './adapters/postgres/data-source';
export { STORAGE_SERVICE_NAME } from './adapters/grpc/storage.grpc';
export { STORAGE_CONSUMER_GROUP, STORAGE_TOPICS, type StorageConsumerOptions } from './adapters/events/storage.consumer';
export { TenantScopedDatabase, TENANT_SETTING, type TransactionIsolation } from './adapters/postgres/tenant-scope';
export { storageKeys, type StorageKeys, type StorageKeysDeps } from './storage.keys';
export { PostgresDataKeyRepository } from './adapters/postgres/data-key.repository';
