import { existsSync } from 'node:fs';
import {
  GrpcKeyRegistry,
  GrpcServer,
  InProcessEventBus,
  MeetingKeyring,
  PolicyEvaluator,
  VaultTransitKms,
  generateServiceTrust,
  runServiceModules,
  subjectAssertionMetadata,
  type Clock,
  type KeyPurpose,
  type KeyRegistry,
  type Kms,
  type RunningServices,
  type StoredDataKey,
  type WrappedDataKey,
} from '@confide/platform';
import { createStorageDataSource, createStorageModule } from '@confide/storage-service';
import type { DataSource } from 'typeorm';
// Storage internals (same database, the real code; not exported by storage's index).
import { PostgresDataKeyRepository } from '../../../../storage/src/adapters/postgres/data-key.repository';
import { PostgresAuditEventStore } from '../../../src/adapters/postgres/audit-event.repository';
import { PostgresErasureCertificateStore } from '../../../src/adapters/postgres/erasure-certificate.repository';
import { PostgresErasureRequestRepository } from '../../../src/adapters/postgres/erasure-request.repository';
import { GrpcStorageMaintenance } from '../../../src/adapters/storage-client/storage-maintenance.grpc-client';
import { GrpcMeetingStore } from '../../../src/adapters/storage-client/storage.grpc-client';
import { publishedSigningKeys, type PublishedSigningKeys } from '../../../src/domain/signing';
import { ChainedAuditLog } from '../../../src/use-cases/chained-audit-log';
import { IssueErasureCertificate } from '../../../src/use-cases/issue-erasure-certificate.use-case';
import { logger, migrateWithErasureRequests } from './erasure-stack';
import { openLifecycleDatabase, startEmbeddedTestDatabase, type LifecycleTestContext, type TestDatabaseUrls } from './lifecycle-db';
import { readInfraEnv } from '@confide/testing';


/**
 * The infra OpenBao's Transit (`bash scripts/infra/up.sh openbao`), from VAULT_ADDR /
 * VAULT_TOKEN_FILE or `.state/infra/env`. Fails, never skips, when it is not there.
 */
export async function infraTransitKms(): Promise<VaultTransitKms> {
  const fromFile = readInfraEnv();
  const address = process.env.VAULT_ADDR ?? fromFile.VAULT_ADDR;
  const tokenFile = process.env.VAULT_TOKEN_FILE ?? fromFile.VAULT_TOKEN_FILE;
  if (!address || !tokenFile || !existsSync(tokenFile)) {
    throw new Error('VAULT_ADDR / VAULT_TOKEN_FILE are not set or the token file is missing: run `bash scripts/infra/up.sh openbao`.');
  }
  const kms = new VaultTransitKms({ address, tokenFile, mountPath: process.env.VAULT_TRANSIT_MOUNT ?? fromFile.VAULT_TRANSIT_MOUNT ?? 'transit', timeoutMs: 10_000 });
  if ((await kms.health()) !== 'ok') throw new Error('OpenBao is not reachable or sealed: run `bash scripts/infra/up.sh openbao`.');
  return kms;
}

/**
 * A key registry over a frozen copy of `data_keys` rows (what a database backup, a Kafka
 * consumer's cache or an attacker with the raw rows holds). Never changes.
 */
export class SnapshotKeyRegistry implements KeyRegistry {
  constructor(private readonly rows: ReadonlyMap<string, WrappedDataKey>) {}

  static key(tenantId: string, meetingId: string, purpose: KeyPurpose): string {
    return `${tenantId}\u0000${meetingId}\u0000${purpose}`;
  }

  async get(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<StoredDataKey | undefined> {
    const row = this.rows.get(SnapshotKeyRegistry.key(tenantId, meetingId, purpose));
    return row ? { state: 'active', ...row } : undefined;
  }

  async putIfAbsent(): Promise<StoredDataKey> {
    throw new Error('snapshot registry is read-only');
  }

  async destroy(): Promise<boolean> {
    return false;
  }
}

/**
 * The erasure's real surroundings over any `Kms` (OpenBao Transit or LocalKms): an embedded
 * PostgreSQL; storage (module + maintenance service) over gRPC with the real OPA policy and
 * service identities, content encrypted under meeting keys from that KMS; lifecycle's
 * persistence (outbox, certificates, audit chain) signed with `signingKeyName`.
 */
export interface KmsErasureStack {
  ctx: LifecycleTestContext;
  kms: Kms;
  signingKeyName: string;
  running: RunningServices;
  address: string;
  storageData: DataSource;
  registry: PostgresDataKeyRepository;
  maintenance: GrpcStorageMaintenance;
  /** Lifecycle's view over gRPC: PurgeMeeting and the key registry. */
  store: GrpcMeetingStore;
  keys: GrpcKeyRegistry;
  requests: PostgresErasureRequestRepository;
  certificates: PostgresErasureCertificateStore;
  audit: ChainedAuditLog;
  certifier(clock: Clock): IssueErasureCertificate;
  /** A reader that has never seen the tenant's keys, over the live registry. */
  freshKeyring(): MeetingKeyring;
  /** A reader over a frozen copy of wrapped keys (a backup). */
  snapshotKeyring(rows: ReadonlyMap<string, WrappedDataKey>): MeetingKeyring;
  publicKeys(): Promise<PublishedSigningKeys>;
  readMetadata(tenantId: string): Promise<ReturnType<typeof subjectAssertionMetadata>>;
  dispose(): Promise<void>;
}

/** `database`: an existing database (its `dispose` runs with the stack's); default a fresh embedded one. */
export async function startKmsErasureStack(kms: Kms, signingKeyName: string, database?: TestDatabaseUrls): Promise<KmsErasureStack> {
  const urls = database ?? (await startEmbeddedTestDatabase());
  await migrateWithErasureRequests(urls.migrationUrl);
  const ctx = await openLifecycleDatabase(urls);
  await kms.createKey(signingKeyName, 'ed25519');
  const bus = new InProcessEventBus({ logger });
  const evaluator = await PolicyEvaluator.load({ logger, watch: false });
  const trust = await generateServiceTrust(['gateway', 'lifecycle']);
  const authorization = { evaluator, verifier: trust.verifier, auditor: { record: async () => undefined } };
  const storageData = createStorageDataSource({ databaseUrl: urls.appUrl, poolSize: 8 });
  const storage = createStorageModule({
    logger,
    bus,
    dataSource: storageData,
    migrationDatabaseUrl: urls.migrationUrl,
    keys: { kms },
    authorization,
    consumer: { retryBackoffMs: 10 },
  });
  const running = await runServiceModules({ modules: [storage], server: new GrpcServer({ address: '127.0.0.1:0', logger }), logger });
  const address = `127.0.0.1:${running.port}`;
  const signer = trust.signer('lifecycle');
  const maintenance = new GrpcStorageMaintenance(address, { signer });
  const store = new GrpcMeetingStore(address, { signer });
  const keys = new GrpcKeyRegistry(address, { metadata: async () => subjectAssertionMetadata(await signer.sign()) });
  const registry = new PostgresDataKeyRepository(storageData);
  const certificates = new PostgresErasureCertificateStore(ctx.app);
  const audit = new ChainedAuditLog(new PostgresAuditEventStore(ctx.app));
  return {
    ctx,
    kms,
    signingKeyName,
    running,
    address,
    storageData,
    registry,
    maintenance,
    store,
    keys,
    requests: new PostgresErasureRequestRepository(ctx.app),
    certificates,
    audit,
    // Every certificate's hash goes into the tenant's chain, as the module wires it.
    certifier: (clock) => new IssueErasureCertificate({ store: certificates, kms, signingKeyName, clock, audit }),
    freshKeyring: () => new MeetingKeyring({ kms, registry, provisionTenantKeys: false }),
    snapshotKeyring: (rows) => new MeetingKeyring({ kms, registry: new SnapshotKeyRegistry(rows), provisionTenantKeys: false }),
    publicKeys: async () => publishedSigningKeys(signingKeyName, await kms.publicKeys(signingKeyName)),
    readMetadata: async (tenantId) =>
      subjectAssertionMetadata(await trust.signer('gateway').sign({ id: 'admin-1', tenant: tenantId, roles: ['admin'], kind: 'user', mfa: true })),
    async dispose() {
      maintenance.close();
      store.close();
      keys.close();
      await running.stop();
      if (storageData.isInitialized) await storageData.destroy();
      await bus.close();
      evaluator.close();
      await ctx.dispose();
    },
  };
}
