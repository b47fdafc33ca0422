import { MeetingKeyring, type GrpcServiceRegistration, type Kms, type Logger, type RpcAuthorizationDeps } from '@confide/platform';
import type { DataSource } from 'typeorm';
import { keyRegistryGrpcService } from './adapters/grpc/key-registry.grpc';
import { bindContentKeys, type ContentKeySource } from './adapters/postgres/content.codec';
import { PostgresDataKeyRepository } from './adapters/postgres/data-key.repository';
import { RotateTenantKey } from './use-cases/rotate-tenant-key.use-case';

/**
 * Keys for the storage module (docs/adr/0010-key-hierarchy.md). Give `keyring` to share the
 * process's meeting keys with the bus's PayloadProtector (all-in-one: one KMS call per meeting
 * key for the whole process), or `kms` for storage's own keyring over its `data_keys` table.
 */
export type StorageKeysDeps = { keyring: ContentKeySource; kms?: Kms } | { kms: Kms };

export interface StorageKeys {
  /** KeyRegistryService, hosted by storage. */
  grpcService: GrpcServiceRegistration;
  /** The registry in Postgres, for a keyring in this process. */
  registry: PostgresDataKeyRepository;
  /** Binds the content keys (start); returns the unbinding (stop). Without keys: content stays plain, with a warning. */
  bind(): () => void;
}

export function storageKeys(
  dataSource: DataSource,
  logger: Logger,
  deps: StorageKeysDeps | undefined,
  /** Caller authorization of KeyRegistryService (ADR 0009); without it every registry RPC is refused. */
  authorization?: RpcAuthorizationDeps,
): StorageKeys {
  const registry = new PostgresDataKeyRepository(dataSource);
  const source: ContentKeySource | undefined =
    deps === undefined ? undefined : 'keyring' in deps ? deps.keyring : new MeetingKeyring({ kms: deps.kms, registry });
  return {
    // Tenant-key rotation needs the KMS itself (all-in-one passes it next to the shared keyring).
    grpcService: keyRegistryGrpcService({
      logger,
      keys: registry,
      rotation: deps?.kms ? new RotateTenantKey({ kms: deps.kms, keys: registry, logger }) : undefined,
      authorization,
    }),
    registry,
    bind() {
      if (!source) {
        logger.warn('storage has no KMS: content columns are stored unencrypted (tests only; every composition must pass keys)');
        return () => undefined;
      }
      return bindContentKeys(source);
    },
  };
}
