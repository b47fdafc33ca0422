import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataKeyPurpose, KeyRegistryServiceClient, type GetTenantKeyStatusResponse } from '@confide/contracts';
import * as grpc from '@grpc/grpc-js';
import {
  GrpcServer,
  LocalKms,
  MeetingKeyring,
  PolicyEvaluator,
  callUnary,
  createGrpcClient,
  createLogger,
  generateServiceTrust,
  subjectAssertionMetadata,
  type AuditedOperation,
  type Decision,
  type DecisionInputSummary,
  type RunningServices,
  type ServiceTrust,
  type Subject,
  runServiceModules,
} from '@confide/platform';
import type { DataSource } from 'typeorm';
import { keyRegistryGrpcService } from '../../src/adapters/grpc/key-registry.grpc';
import { PostgresDataKeyRepository } from '../../src/adapters/postgres/data-key.repository';
import { createStorageDataSource, migrateStorage } from '../../src/adapters/postgres/data-source';
import { RotateTenantKey } from '../../src/use-cases/rotate-tenant-key.use-case';
import { DB_START_TIMEOUT_MS, startTestDatabase, type TestDatabase } from './support/embedded-db';

/**
 * KeyRegistryService authorizes every RPC (ADR 0009, policies/authz/services.rego): the data-key
 * RPCs are service-only (ingest, transcription, insights, lifecycle and the all-in-one keyring
 * signed as storage read and offer; only transcription, lifecycle and storage destroy), rotation
 * and its status only through the gateway for an end user of the same tenant (rotate: owner or
 * admin with MFA; status: settings:read). No assertion or an untrusted one: UNAUTHENTICATED.
 */
const logger = createLogger({ service: 'key-registry-authz-it', level: 'silent' });
const SERVICES = ['gateway', 'ingest', 'transcription', 'insights', 'lifecycle', 'storage'] as const;
type ServiceName = (typeof SERVICES)[number];
const RPCS = ['getDataKey', 'getOrCreateDataKey', 'destroyDataKey', 'rotateTenantKey', 'getTenantKeyStatus'] as const;
type Rpc = (typeof RPCS)[number];

/** What the policy grants each identity (without an end user). */
const ALLOWED: Record<ServiceName, ReadonlySet<Rpc>> = {
  gateway: new Set<Rpc>(),
  ingest: new Set<Rpc>(['getDataKey', 'getOrCreateDataKey']),
  transcription: new Set<Rpc>(['getDataKey', 'getOrCreateDataKey', 'destroyDataKey']),
  insights: new Set<Rpc>(['getDataKey', 'getOrCreateDataKey']),
  lifecycle: new Set<Rpc>(['getDataKey', 'getOrCreateDataKey', 'destroyDataKey']),
  storage: new Set<Rpc>(['getDataKey', 'getOrCreateDataKey', 'destroyDataKey']),
};

const TENANT = `kr-${randomBytes(3).toString('hex')}`;
const OTHER = `kr-other-${randomBytes(3).toString('hex')}`;
/** The data-key calls use their own tenant (opaque offered keys that no rotation ever rewraps). */
const DATA_TENANT = `kr-data-${randomBytes(3).toString('hex')}`;

let db: TestDatabase;
let owner: DataSource;
let dataSource: DataSource;
let kmsDir: string;
let evaluator: PolicyEvaluator;
let trust: ServiceTrust;
let impostor: ServiceTrust;
let running: RunningServices;
let client: KeyRegistryServiceClient;
const audited: Array<{ decision: Decision; input: DecisionInputSummary }> = [];
/** Key operations recorded through the same auditor (into the tenant's chain in the real compositions). */
const operations: AuditedOperation[] = [];
let failOperations = false;

beforeAll(async () => {
  db = await startTestDatabase();
  owner = createStorageDataSource({ databaseUrl: db.pg.migrationUrl, poolSize: 2 });
  await migrateStorage(owner);
  dataSource = createStorageDataSource({ databaseUrl: db.pg.url, poolSize: 4 });
  await dataSource.initialize();
  kmsDir = await mkdtemp(join(tmpdir(), 'confide-kr-authz-'));
  const kms = await LocalKms.open({ dir: kmsDir });
  const keys = new PostgresDataKeyRepository(dataSource);
  evaluator = await PolicyEvaluator.load({ logger, watch: false });
  trust = await generateServiceTrust(SERVICES);
  impostor = await generateServiceTrust(['ingest']);
  const grpcService = keyRegistryGrpcService({
    logger,
    keys,
    rotation: new RotateTenantKey({ kms, keys, logger }),
    authorization: {
      evaluator,
      verifier: trust.verifier,
      auditor: {
        record: async (decision, input) => {
          audited.push({ decision, input });
        },
        recordOperation: async (operation) => {
          if (failOperations) throw new Error('the audit log is unavailable');
          operations.push(operation);
        },
      },
    },
  });
  running = await runServiceModules({
    modules: [{ name: 'key-registry', grpcServices: [grpcService], start: async () => undefined, stop: async () => undefined }],
    server: new GrpcServer({ address: '127.0.0.1:0', logger }),
    logger,
  });
  client = createGrpcClient(KeyRegistryServiceClient, `127.0.0.1:${running.port}`);
  // The rotation needs a tenant key and a data key under it.
  await new MeetingKeyring({ kms, registry: keys }).getOrCreate(TENANT, 'seed', 'meeting');
}, DB_START_TIMEOUT_MS);

afterAll(async () => {
  client?.close();
  await running?.stop();
  evaluator?.close();
  if (dataSource?.isInitialized) await dataSource.destroy();
  if (owner?.isInitialized) await owner.destroy();
  await db?.dispose();
  if (kmsDir) await rm(kmsDir, { recursive: true, force: true });
}, DB_START_TIMEOUT_MS);

let seq = 0;
/** A valid request of `rpc` (a fresh meeting per data-key call, so destroys do not interfere). */
function requestOf(rpc: Rpc): object {
  seq += 1;
  const ref = { tenantId: DATA_TENANT, meetingId: `m-${seq}`, purpose: DataKeyPurpose.DATA_KEY_PURPOSE_MEETING };
  switch (rpc) {
    case 'getDataKey':
    case 'destroyDataKey':
      return ref;
    case 'getOrCreateDataKey':
      return { ...ref, candidate: { keyName: `confide-tenant-${DATA_TENANT}`, wrapped: 'vault:v1:b3BhcXVl', keyVersion: 1 } };
    case 'rotateTenantKey':
    case 'getTenantKeyStatus':
      return { tenantId: TENANT };
  }
}

const metadataOf = async (signer: { sign(endUser?: Subject): Promise<string> }, endUser?: Subject): Promise<grpc.Metadata> =>
  subjectAssertionMetadata(await signer.sign(endUser));

/** The gRPC status of a call (0 = OK). */
async function statusOf(rpc: Rpc, metadata: grpc.Metadata | undefined, request: object = requestOf(rpc)): Promise<number> {
  try {
    await callUnary<object, unknown>(client, rpc, request, metadata ? { metadata } : {});
    return grpc.status.OK;
  } catch (err) {
    const e = err as { code?: number; details?: string };
    if (e.code === grpc.status.PERMISSION_DENIED) expect(e.details).toBe('the call is not permitted');
    return e.code ?? -1;
  }
}

const user = (roles: string[], mfa: boolean, tenant = TENANT): Subject => ({ id: 'u-1', tenant, roles, kind: 'user', mfa });

describe('KeyRegistryService authorization', () => {
  it('every service identity x every RPC (no end user): allowed exactly as the policy lists, else PERMISSION_DENIED', async () => {
    const actual: Record<string, number> = {};
    const expected: Record<string, number> = {};
    for (const service of SERVICES) {
      for (const rpc of RPCS) {
        actual[`${service} ${rpc}`] = await statusOf(rpc, await metadataOf(trust.signer(service)));
        expected[`${service} ${rpc}`] = ALLOWED[service].has(rpc) ? grpc.status.OK : grpc.status.PERMISSION_DENIED;
      }
    }
    expect(actual).toEqual(expected);
  });

  it('refuses every RPC without an assertion or with an untrusted one (UNAUTHENTICATED)', async () => {
    for (const rpc of RPCS) {
      expect({ rpc, code: await statusOf(rpc, undefined) }).toEqual({ rpc, code: grpc.status.UNAUTHENTICATED });
      expect({ rpc, code: await statusOf(rpc, await metadataOf(impostor.signer('ingest'))) }).toEqual({ rpc, code: grpc.status.UNAUTHENTICATED });
    }
  });

  it('data-key RPCs stay service-only: a service acting for a user gains nothing, the gateway gets no key', async () => {
    const admin = user(['owner'], true);
    for (const rpc of ['getDataKey', 'getOrCreateDataKey', 'destroyDataKey'] as const) {
      expect(await statusOf(rpc, await metadataOf(trust.signer('gateway'), admin))).toBe(grpc.status.PERMISSION_DENIED);
    }
    // ingest still reads (its own rpc: decision); it may never destroy, whoever it acts for.
    expect(await statusOf('destroyDataKey', await metadataOf(trust.signer('ingest'), admin))).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('rotation through the gateway: owner or admin with MFA of the same tenant, audited; everyone else refused', async () => {
    const gateway = trust.signer('gateway');
    const cases: Array<[string, Subject, number]> = [
      ['admin with MFA', user(['admin'], true), grpc.status.OK],
      ['owner with MFA', user(['owner'], true), grpc.status.OK],
      ['admin without MFA', user(['admin'], false), grpc.status.PERMISSION_DENIED],
      ['member with MFA', user(['member'], true), grpc.status.PERMISSION_DENIED],
      ['auditor with MFA', user(['auditor'], true), grpc.status.PERMISSION_DENIED],
      ['admin of another tenant', user(['admin'], true, OTHER), grpc.status.PERMISSION_DENIED],
      ['staff', { id: 's-1', tenant: '', roles: [], kind: 'staff', mfa: true }, grpc.status.PERMISSION_DENIED],
    ];
    const actual = [];
    for (const [name, subject] of cases) actual.push([name, await statusOf('rotateTenantKey', await metadataOf(gateway, subject))]);
    expect(actual).toEqual(cases.map(([name, , code]) => [name, code]));
    // The gateway alone (no end user) may not rotate either.
    expect(await statusOf('rotateTenantKey', await metadataOf(gateway))).toBe(grpc.status.PERMISSION_DENIED);
    // Allowed rotations carry the audit obligation (recorded with ids only).
    const rotations = audited.filter((a) => a.input.action === 'tenant-key:rotate' && a.decision.allow);
    expect(rotations.length).toBe(2);
    expect(rotations.every((a) => a.decision.obligations.includes('audit') && a.input.resourceTenant === TENANT)).toBe(true);
  });

  it('status through the gateway: settings:read of the same tenant', async () => {
    const gateway = trust.signer('gateway');
    let res: GetTenantKeyStatusResponse;
    const deadline = Date.now() + 20_000;
    do {
      res = await callUnary<object, GetTenantKeyStatusResponse>(client, 'getTenantKeyStatus', { tenantId: TENANT }, { metadata: await metadataOf(gateway, user(['admin'], false)) });
    } while (res.rewrapRunning && Date.now() < deadline);
    // The seed key, rewrapped under the latest of the versions the rotations above added.
    expect(res).toEqual({ versions: [{ keyVersion: expect.any(Number), dataKeys: 1 }], rewrapRunning: false });
    expect(res.versions[0]!.keyVersion).toBeGreaterThan(1);
    expect(await statusOf('getTenantKeyStatus', await metadataOf(gateway, user(['member'], false)))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await statusOf('getTenantKeyStatus', await metadataOf(gateway, user(['admin'], true, OTHER)))).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('records every key destruction and rotation in the audit trail (key references only) and fails the RPC when it cannot', async () => {
    const ref = { tenantId: DATA_TENANT, meetingId: 'm-audited', purpose: DataKeyPurpose.DATA_KEY_PURPOSE_AUDIO };
    await callUnary(client, 'getOrCreateDataKey', { ...ref, candidate: { keyName: `confide-tenant-${DATA_TENANT}`, wrapped: 'vault:v1:b3BhcXVl', keyVersion: 1 } }, {
      metadata: await metadataOf(trust.signer('ingest')),
    });
    operations.length = 0;
    expect(await statusOf('destroyDataKey', await metadataOf(trust.signer('transcription')), ref)).toBe(grpc.status.OK);
    expect(operations).toEqual([
      { tenantId: DATA_TENANT, actor: 'service:transcription', action: 'key:destroy', resource: 'meeting/m-audited/key/audio', outcome: 'success' },
    ]);
    expect(JSON.stringify(operations)).not.toContain('b3BhcXVl');

    // Rotation by an admin through the gateway: the rotation, then the end of the rewrap.
    operations.length = 0;
    expect(await statusOf('rotateTenantKey', await metadataOf(trust.signer('gateway'), user(['admin'], true)))).toBe(grpc.status.OK);
    const deadline = Date.now() + 20_000;
    while (!operations.some((o) => o.action === 'tenant-key:rewrap') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(operations).toEqual([
      { tenantId: TENANT, actor: 'u-1', action: 'tenant-key:rotate', resource: `tenant-key/${TENANT}`, outcome: 'success' },
      { tenantId: TENANT, actor: 'u-1', action: 'tenant-key:rewrap', resource: expect.stringMatching(new RegExp(`^tenant-key/${TENANT}@v\\d+$`)), outcome: 'success' },
    ]);

    // The operation cannot be recorded: the caller learns it (UNAVAILABLE) and retries.
    failOperations = true;
    try {
      expect(await statusOf('destroyDataKey', await metadataOf(trust.signer('lifecycle')), ref)).toBe(grpc.status.UNAVAILABLE);
    } finally {
      failOperations = false;
    }
    expect(await statusOf('destroyDataKey', await metadataOf(trust.signer('lifecycle')), ref)).toBe(grpc.status.OK);
    expect(operations.at(-1)).toEqual({ tenantId: DATA_TENANT, actor: 'service:lifecycle', action: 'key:destroy', resource: 'meeting/m-audited/key/audio', outcome: 'success' });
  });
});
