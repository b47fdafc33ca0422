import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRegistryServiceClient, type GetTenantKeyStatusResponse } from '@confide/contracts';
import {
  GrpcServer,
  LocalKms,
  MeetingKeyring,
  PolicyEvaluator,
  callUnary,
  createGrpcClient,
  createLogger,
  generateServiceTrust,
  parseVersioned,
  subjectAssertionMetadata,
  type Kms,
  type RpcAuthorizationDeps,
  type ServiceTrust,
} from '@confide/platform';
import { keyRegistryGrpcService } from '../../src/adapters/grpc/key-registry.grpc';
import type { DataSource } from 'typeorm';
import { bindContentKeys } from '../../src/adapters/postgres/content.codec';
import { PostgresDataKeyRepository } from '../../src/adapters/postgres/data-key.repository';
import { createStorageDataSource, migrateStorage } from '../../src/adapters/postgres/data-source';
import { PostgresMeetingQueryRepository } from '../../src/adapters/postgres/meeting-query.repository';
import { PostgresMeetingRecordRepository } from '../../src/adapters/postgres/meeting-record.repository';
import { RotateTenantKey } from '../../src/use-cases/rotate-tenant-key.use-case';
import { DB_START_TIMEOUT_MS, startTestDatabase, type TestDatabase } from './support/embedded-db';
import { connectOpenBao } from './support/openbao';
import { segment } from './support/records';

/**
 * Rotation of a tenant key with its data keys rewrapped in the background, on both KMS
 * adapters (OpenBao Transit from `pnpm infra:up`, and the local keyring): content written
 * before the rotation stays readable during and after it, every active data key ends up
 * wrapped under the new version, erased keys stay erased.
 */
const SEEN = 1_700_000_000_000;
const MEETINGS = 12;
const logger = createLogger({ service: 'rotation-it', level: 'silent' });

let db: TestDatabase;
let owner: DataSource;
let dataSource: DataSource;
let keys: PostgresDataKeyRepository;
let records: PostgresMeetingRecordRepository;
let queries: PostgresMeetingQueryRepository;
let evaluator: PolicyEvaluator;
let trust: ServiceTrust;
let authorization: RpcAuthorizationDeps;

beforeAll(async () => {
  // KeyRegistryService authorizes every RPC (ADR 0009): rotation is asked by the gateway for an
  // admin with MFA of the tenant (key-registry.authorization.test.ts covers the refusals).
  evaluator = await PolicyEvaluator.load({ logger, watch: false });
  trust = await generateServiceTrust(['gateway']);
  authorization = { evaluator, verifier: trust.verifier, auditor: { record: async () => undefined } };
  db = await startTestDatabase();
  owner = createStorageDataSource({ databaseUrl: db.pg.migrationUrl, poolSize: 2 });
  await migrateStorage(owner);
  dataSource = createStorageDataSource({ databaseUrl: db.pg.url, poolSize: 6 });
  await dataSource.initialize();
  keys = new PostgresDataKeyRepository(dataSource);
  records = new PostgresMeetingRecordRepository(dataSource);
  queries = new PostgresMeetingQueryRepository(dataSource);
}, DB_START_TIMEOUT_MS);

afterAll(async () => {
  if (dataSource?.isInitialized) await dataSource.destroy();
  if (owner?.isInitialized) await owner.destroy();
  await db?.dispose();
  evaluator?.close();
}, DB_START_TIMEOUT_MS);

/** Call metadata of the gateway acting for an admin (MFA) of `tenantId`. */
async function asTenantAdmin(tenantId: string): Promise<{ metadata: ReturnType<typeof subjectAssertionMetadata> }> {
  const assertion = await trust.signer('gateway').sign({ id: 'admin-1', tenant: tenantId, roles: ['admin'], kind: 'user', mfa: true });
  return { metadata: subjectAssertionMetadata(assertion) };
}

const adapters: Array<[string, () => Promise<{ kms: Kms; dispose(): Promise<void> }>]> = [
  ['OpenBao Transit', async () => ({ kms: await connectOpenBao(), dispose: async () => undefined })],
  [
    'local keyring',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'confide-rotation-kms-'));
      return { kms: await LocalKms.open({ dir }), dispose: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
];

describe.each(adapters)('tenant key rotation on %s', (_name, makeKms) => {
  const tenant = `rot-${randomBytes(4).toString('hex')}`;
  let kms: Kms;
  let dispose: () => Promise<void>;
  let writer: MeetingKeyring;
  let unbind: () => void;

  beforeAll(async () => {
    ({ kms, dispose } = await makeKms());
    writer = new MeetingKeyring({ kms, registry: keys });
  });

  afterAll(async () => {
    unbind?.();
    await dispose?.();
  });

  /** Reads every meeting's transcript through a keyring that holds no plaintext yet (another process). */
  async function readAllFresh(): Promise<string[]> {
    const reader = new MeetingKeyring({ kms, registry: keys, provisionTenantKeys: false });
    const undo = bindContentKeys(reader);
    try {
      const texts: string[] = [];
      for (let i = 0; i < MEETINGS; i += 1) {
        const transcript = await queries.getTranscript({ tenantId: tenant, meetingId: `m-${i}` });
        texts.push(...transcript!.map((s) => s.text));
      }
      return texts;
    } finally {
      undo();
    }
  }

  it('rewraps every active data key under the new version while content stays readable', async () => {
    unbind = bindContentKeys(writer);
    for (let i = 0; i < MEETINGS; i += 1) {
      await records.recordFinalSegment(segment({ tenantId: tenant, meetingId: `m-${i}`, sequence: 1, text: `secret number ${i}` }), SEEN);
      if (i % 3 === 0) await writer.getOrCreate(tenant, `m-${i}`, 'audio');
    }
    await writer.destroy(tenant, 'm-3', 'audio'); // an erased key: never rewrapped, never resurrected
    unbind();
    const expected = Array.from({ length: MEETINGS }, (_, i) => `secret number ${i}`);
    expect(await keys.versionCounts(tenant)).toEqual({ 1: MEETINGS + 3 }); // 12 meeting keys + audio of m-0, m-6, m-9

    const rotation = new RotateTenantKey({ kms, keys, logger, batchSize: 5 });
    const { rewrap } = await rotation.rotate(tenant);
    // Readers do not wait for the rewrap: both versions unwrap meanwhile.
    const during = await readAllFresh();
    const progress = await rewrap;

    expect(during).toEqual(expected);
    expect(progress).toMatchObject({ tenantId: tenant, keyVersion: 2, rewrapped: MEETINGS + 3, skipped: 0, remaining: 0 });
    expect(await keys.versionCounts(tenant)).toEqual({ 2: MEETINGS + 3 });
    expect(await readAllFresh()).toEqual(expected);
    expect(await keys.get(tenant, 'm-3', 'audio')).toEqual({ state: 'erased' });
    // The keys stay bound to their meeting and purpose: the rewrapped audio key of m-0 unwraps as audio.
    const reader = new MeetingKeyring({ kms, registry: keys, provisionTenantKeys: false });
    expect((await reader.get(tenant, 'm-0', 'audio')).keyVersion).toBe(2);

    // A second run finds nothing to do.
    expect(await rotation.rewrap(tenant)).toMatchObject({ rewrapped: 0, remaining: 0 });
  });

  it('wraps new meetings under the new version at once', async () => {
    const fresh = new MeetingKeyring({ kms, registry: keys });
    const key = await fresh.getOrCreate(tenant, 'm-after', 'meeting');
    expect(key.keyVersion).toBe(2);
    const stored = await keys.get(tenant, 'm-after', 'meeting');
    expect(stored?.state === 'active' && parseVersioned(stored.wrapped)?.version).toBe(2);
  });

  it('does not overwrite a key that changed under it (compare-and-set)', async () => {
    const stored = await keys.get(tenant, 'm-1', 'meeting');
    if (stored?.state !== 'active') throw new Error('m-1 has no active key');
    expect(await keys.replaceWrapped(tenant, 'm-1', 'meeting', 'vault:v1:c3RhbGU=', { wrapped: stored.wrapped, keyVersion: 9 })).toBe(false);
    expect(await keys.replaceWrapped(tenant, 'm-3', 'audio', 'vault:v1:c3RhbGU=', { wrapped: stored.wrapped, keyVersion: 9 })).toBe(false);
    expect(await keys.get(tenant, 'm-3', 'audio')).toEqual({ state: 'erased' });
    expect(await keys.get(tenant, 'm-1', 'meeting')).toEqual(stored);
  });
});

describe('KeyRegistryService.RotateTenantKey over gRPC', () => {
  it('rotates, rewraps in the background and reports the progress by version', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'confide-rotation-grpc-'));
    const kms = await LocalKms.open({ dir });
    const tenant = `rot-grpc-${randomBytes(3).toString('hex')}`;
    const writer = new MeetingKeyring({ kms, registry: keys });
    for (let i = 0; i < 4; i += 1) await writer.getOrCreate(tenant, `g-${i}`, 'meeting');
    const server = new GrpcServer({ address: '127.0.0.1:0', logger });
    server.add(keyRegistryGrpcService({ logger, keys, rotation: new RotateTenantKey({ kms, keys, logger }), authorization }));
    const { port } = await server.start();
    const client = createGrpcClient(KeyRegistryServiceClient, `127.0.0.1:${port}`);
    try {
      expect(await callUnary(client, 'rotateTenantKey', { tenantId: tenant }, await asTenantAdmin(tenant))).toEqual({ rewrapStarted: true });
      let status: GetTenantKeyStatusResponse;
      const deadline = Date.now() + 20_000;
      do {
        status = await callUnary<object, GetTenantKeyStatusResponse>(client, 'getTenantKeyStatus', { tenantId: tenant }, await asTenantAdmin(tenant));
      } while ((status.rewrapRunning || status.versions.some((v) => v.keyVersion < 2)) && Date.now() < deadline);
      expect(status).toEqual({ versions: [{ keyVersion: 2, dataKeys: 4 }], rewrapRunning: false });
      // No tenant named: refused by the policy (not the admin's tenant) before the handler runs.
      await expect(callUnary(client, 'rotateTenantKey', { tenantId: '' }, await asTenantAdmin(tenant))).rejects.toMatchObject({ code: 7 });
    } finally {
      client.close();
      await server.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers FAILED_PRECONDITION where storage has no KMS', async () => {
    const server = new GrpcServer({ address: '127.0.0.1:0', logger });
    server.add(keyRegistryGrpcService({ logger, keys, authorization }));
    const { port } = await server.start();
    const client = createGrpcClient(KeyRegistryServiceClient, `127.0.0.1:${port}`);
    try {
      await expect(callUnary(client, 'rotateTenantKey', { tenantId: 'rot-none' }, await asTenantAdmin('rot-none'))).rejects.toMatchObject({ code: 9 });
    } finally {
      client.close();
      await server.shutdown();
    }
  });
});
