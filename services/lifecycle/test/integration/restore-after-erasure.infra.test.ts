import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EnvelopeCipher, KafkaEventBus, MeetingKeyring, tenantKeyName, type Clock, type Kms, createLogger } from '@confide/platform';
import { createStorageDataSource } from '@confide/storage-service';
import { Client } from 'pg';
import { PostgresDataKeyRepository } from '../../../storage/src/adapters/postgres/data-key.repository';
import { BusErasureEventPublisher } from '../../src/adapters/events/erasure-events.publisher';
import { InMemoryEndedMeetings } from '../../src/adapters/memory/in-memory.ended-meetings';
import { DeleteMeeting } from '../../src/use-cases/delete-meeting.use-case';
import { EraseTenant } from '../../src/use-cases/erase-tenant.use-case';
import { EraseUserData } from '../../src/use-cases/erase-user-data.use-case';
import { seedTenantBulk } from './support/bulk-seed';
import { logger } from './support/erasure-stack';
import { infraTransitKms, startKmsErasureStack, type KmsErasureStack } from './support/kms-erasure-stack';
import { DB_START_TIMEOUT_MS, sequentialIds } from './support/lifecycle-db';
import { startRestoreCluster, type RestoreCluster } from './support/pg15-restore-cluster';
import { readInfraEnv } from '@confide/testing';

/** Measured figures of this test (ids, counts and milliseconds only), through the redacting logger. */
const figures = createLogger({ service: 'restore-test' });

/**
 * Issue 6, must-show 2 (docs/adr/0013-restore.md): a dump taken before an erasure, restored with
 * the documented procedure (`scripts/db/restore.sh`: pg_restore as the migration role, then the
 * re-apply from records outside the database — the KMS and the MeetingErased / UserDataErased
 * journal on Kafka), leaves the erased data unreadable and its rows gone (a user's segments
 * included), while the other meeting is intact.
 * Real PostgreSQL 15 (private cluster, roles as on the infra one), the infra OpenBao Transit and
 * Kafka. Needs `pnpm build` (the script runs the built code). Fails, never skips, without them.
 */
const ROOT = resolve(__dirname, '../../../..');
const run = promisify(execFile);
const wallClock: Clock = { now: () => Date.now() };
const cipher = new EnvelopeCipher();

function infraEnv(): Record<string, string> {
  const env = readInfraEnv();
  for (const k of ['KAFKA_BROKERS', 'VAULT_ADDR', 'VAULT_TOKEN_FILE', 'VAULT_TRANSIT_MOUNT']) if (process.env[k]) env[k] = process.env[k]!;
  if (!env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set and .state/infra/env does not provide it: run `bash scripts/infra/up.sh kafka`.');
  return env;
}

describe('restore of a dump taken before an erasure (scripts/db/restore.sh)', () => {
  const id = randomBytes(4).toString('hex');
  const tenantA = `t-restore-${id}`;
  const tenantB = `t-restore-gone-${id}`;
  const tenantC = `t-restore-user-${id}`;
  const signingKeyName = `confide-it-${id}-signing`;
  let env: Record<string, string>;
  let kms: Kms;
  let cluster: RestoreCluster;
  let stack: KmsErasureStack | undefined;
  let bus: KafkaEventBus;
  let workDir: string;

  /** Raw reads across tenants as the backup role (BYPASSRLS, SELECT only): what a DBA or a dump sees. */
  const asOwner = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const c = new Client({ connectionString: cluster.backupUrl });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  };
  const scriptEnv = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    MIGRATION_DATABASE_URL: cluster.migrationUrl,
    BACKUP_DATABASE_URL: cluster.backupUrl,
    DATABASE_URL: cluster.appUrl,
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    KMS: 'vault',
    VAULT_ADDR: env.VAULT_ADDR,
    VAULT_TOKEN_FILE: env.VAULT_TOKEN_FILE,
    VAULT_TRANSIT_MOUNT: env.VAULT_TRANSIT_MOUNT ?? 'transit',
    SIGNING_KEY_NAME: signingKeyName,
    PG_BIN: cluster.binDir,
    LOG_LEVEL: 'warn',
  });
  const restore = async (dump: string, ...args: string[]) => restoreWith({}, dump, ...args);
  const restoreWith = async (extraEnv: NodeJS.ProcessEnv, dump: string, ...args: string[]) => {
    const { stdout } = await run('bash', [join(ROOT, 'scripts/db/restore.sh'), dump, ...args], { env: { ...scriptEnv(), ...extraEnv }, cwd: ROOT, timeout: 180_000 });
    const report = stdout.split('\n').find((l) => l.startsWith('{'));
    if (!report) throw new Error(`no report from restore.sh: ${stdout}`);
    return JSON.parse(report) as Record<string, unknown>;
  };
  /** Opens every restored segment of a meeting with a reader that has never seen its keys (a new process). */
  const readMeeting = async (tenantId: string, meetingId: string): Promise<{ rows: number; opened: string[]; error?: string }> => {
    const rows = await asOwner<{ segment_id: string; text: string }>('SELECT segment_id, text FROM segments WHERE tenant_id = $1 AND meeting_id = $2 ORDER BY sequence', [tenantId, meetingId]);
    const ds = createStorageDataSource({ databaseUrl: cluster.appUrl, poolSize: 2 });
    await ds.initialize();
    try {
      const keyring = new MeetingKeyring({ kms, registry: new PostgresDataKeyRepository(ds), provisionTenantKeys: false });
      let key;
      try {
        key = await keyring.get(tenantId, meetingId, 'meeting');
      } catch (err) {
        return { rows: rows.length, opened: [], error: (err as Error).name };
      }
      const opened = rows.map((r) => {
        const plain = cipher.decrypt(Buffer.from(r.text.slice(4), 'base64'), key.plaintext, { tenant: tenantId, meeting: meetingId, kind: 'segment', id: r.segment_id });
        return (JSON.parse(plain.toString('utf8')) as { text: string }).text;
      });
      key.plaintext.fill(0);
      return { rows: rows.length, opened };
    } finally {
      await ds.destroy();
    }
  };

  beforeAll(async () => {
    env = infraEnv();
    kms = await infraTransitKms();
    workDir = await mkdtemp(join(tmpdir(), 'confide-restore-dump-'));
    cluster = await startRestoreCluster();
    // The stack does not own the cluster: the restore needs it after the stack (the services) stopped.
    stack = await startKmsErasureStack(kms, signingKeyName, { ...cluster, dispose: async () => undefined });
    bus = new KafkaEventBus({ brokers: env.KAFKA_BROKERS!.split(','), clientId: `restore-it-${id}` });
  }, DB_START_TIMEOUT_MS);

  afterAll(async () => {
    await bus?.close();
    await stack?.dispose();
    await cluster?.dispose();
    await kms?.destroyKey(tenantKeyName(tenantA)).catch(() => undefined);
    await kms?.destroyKey(tenantKeyName(tenantC)).catch(() => undefined);
    await kms?.destroyKey(signingKeyName).catch(() => undefined);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, DB_START_TIMEOUT_MS);

  it('re-applies the meeting erasures (Kafka journal, exported certificate) and the tenant erasure (KMS) after the restore; the kept meeting is intact', async () => {
    const s = stack!;
    await seedTenantBulk(s.storageData, tenantA, { meetings: 1, segmentsPerMeeting: 20, endedAtMs: Date.now() - 60_000, meetingPrefix: 'keep' });
    await seedTenantBulk(s.storageData, tenantA, { meetings: 1, segmentsPerMeeting: 20, endedAtMs: Date.now() - 60_000, meetingPrefix: 'gone' });
    await seedTenantBulk(s.storageData, tenantA, { meetings: 1, segmentsPerMeeting: 5, endedAtMs: Date.now() - 60_000, meetingPrefix: 'cert' });
    await seedTenantBulk(s.storageData, tenantB, { meetings: 1, segmentsPerMeeting: 10, endedAtMs: Date.now() - 60_000, meetingPrefix: 'b' });
    // Tenant C: a meeting whose segments are all participant p1's (the seed's track).
    await seedTenantBulk(s.storageData, tenantC, { meetings: 1, segmentsPerMeeting: 6, endedAtMs: Date.now() - 60_000, meetingPrefix: 'u' });

    // 1. The backup: taken before the erasures.
    const dump = join(workDir, 'before-erasure.dump');
    await run('bash', [join(ROOT, 'scripts/db/dump.sh'), dump], { env: scriptEnv(), cwd: ROOT });

    // 2. The erasures: meeting gone-1 of A (keys destroyed, purged, MeetingErased on Kafka) and tenant B (tenant key destroyed in Transit).
    const erased = await new DeleteMeeting({
      store: s.store,
      keys: s.keys,
      requests: s.requests,
      erasures: s.certifier(wallClock),
      events: new BusErasureEventPublisher(bus),
      audit: s.audit,
      ended: new InMemoryEndedMeetings(),
      clock: wallClock,
      logger,
      ids: sequentialIds('restore-meeting'),
    }).execute({ tenantId: tenantA, meetingId: 'gone-1', requestedBy: 'admin-1', reason: 'customer request' });
    expect(erased.erased.segments).toBe(20);
    // A meeting whose MeetingErased never reached the journal (e.g. a topic truncated by an old
    // retention): only its exported deletion certificate records it (passed with --journal).
    const unannounced = await new DeleteMeeting({
      store: s.store,
      keys: s.keys,
      requests: s.requests,
      erasures: s.certifier(wallClock),
      events: { meetingErased: async () => undefined },
      audit: s.audit,
      ended: new InMemoryEndedMeetings(),
      clock: wallClock,
      logger,
      ids: sequentialIds('restore-cert'),
    }).execute({ tenantId: tenantA, meetingId: 'cert-1', requestedBy: 'admin-1', reason: 'customer request' });
    const certificates = join(workDir, 'certificates.jsonl');
    writeFileSync(certificates, `${(await s.certificates.getDocument(tenantA, unannounced.certificateId!))!}\n`);
    const tenantErasure = await new EraseTenant({
      kms: { destroyKey: (name) => kms.destroyKey(name) },
      storage: s.maintenance,
      requests: s.requests,
      erasures: s.certifier(wallClock),
      audit: s.audit,
      clock: wallClock,
      logger,
      ids: sequentialIds('restore-tenant'),
    }).execute({ tenantId: tenantB, requestedBy: 'owner-1', reason: 'offboarding' });
    expect(tenantErasure.erased.segments).toBe(10);
    // A user's data (participant p1 of tenant C): UserDataErased on Kafka is its only record outside the database.
    const userErasure = await new EraseUserData({
      storage: s.maintenance,
      requests: s.requests,
      erasures: s.certifier(wallClock),
      audit: s.audit,
      clock: wallClock,
      logger,
      ids: sequentialIds('restore-user'),
      events: new BusErasureEventPublisher(bus),
    }).execute({ tenantId: tenantC, userId: 'p1', requestedBy: 'p1', reason: 'right to erasure' });
    expect(userErasure.segments).toBe(6);

    // The services stop (the procedure runs with nothing connected).
    await s.dispose();
    stack = undefined;

    // 3. Restoring the dump alone (the re-apply in dry-run) brings the erased meeting back, decryptable:
    //    the restored wrapped key is still unwrappable by the live tenant key. This is the danger.
    const dry = await restore(dump, '--dry-run');
    expect(dry).toMatchObject({ dryRun: true, tenantsErasedInKms: 1 });
    expect(dry.meetingsReapplied as number).toBeGreaterThanOrEqual(1);
    const exposed = await readMeeting(tenantA, 'gone-1');
    expect(exposed.rows).toBe(20);
    expect(exposed.opened[0]).toBe('confidential sentence number 1');
    // The erased user's segments are back too.
    expect(await asOwner('SELECT count(*)::int AS n FROM segments WHERE tenant_id = $1 AND track_id = $2', [tenantC, 'p1'])).toEqual([{ n: 6 }]);
    expect(dry.usersReapplied as number).toBeGreaterThanOrEqual(1);
    // Tenant B's restored rows are already unreadable (Transit keeps the deletion), but still there.
    expect(await readMeeting(tenantB, 'b-1')).toMatchObject({ rows: 10, opened: [] });

    // Fail closed: a KMS that does not hold the deployment's signing key (the wrong KMS, an empty
    // dev OpenBao) is refused before any tenant is judged, and the script exits non-zero.
    await expect(restoreWith({ SIGNING_KEY_NAME: `confide-it-${id}-not-there` }, dump)).rejects.toMatchObject({
      stderr: expect.stringContaining('refusing to judge tenant keys'),
    });

    // 4. The documented procedure: restore + re-apply (Kafka journal + the exported certificate).
    const report = await restore(dump, '--journal', certificates);
    figures.info({ report }, 'restore report');
    expect(report).toMatchObject({ dryRun: false, tenantsErasedInKms: 1 });
    expect(report.meetingsReapplied as number).toBeGreaterThanOrEqual(1);
    expect(report.usersReapplied as number).toBeGreaterThanOrEqual(1);

    // The erased user (from the UserDataErased journal on Kafka only): their segments are gone again.
    expect(await asOwner('SELECT count(*)::int AS n FROM segments WHERE tenant_id = $1 AND track_id = $2', [tenantC, 'p1'])).toEqual([{ n: 0 }]);
    expect(await asOwner('SELECT count(*)::int AS n FROM meetings WHERE tenant_id = $1', [tenantC])).toEqual([{ n: 1 }]);

    // The erased meeting: keys tombstoned, rows gone, tombstone recorded again; no reader gets a key.
    const gone = await readMeeting(tenantA, 'gone-1');
    expect(gone).toEqual({ rows: 0, opened: [], error: 'MeetingKeyErasedError' });
    expect(await asOwner('SELECT purpose, wrapped IS NULL AS destroyed FROM data_keys WHERE tenant_id = $1 AND meeting_id = $2 ORDER BY purpose', [tenantA, 'gone-1'])).toEqual([
      { purpose: 'audio', destroyed: true },
      { purpose: 'meeting', destroyed: true },
    ]);
    expect(await asOwner('SELECT count(*)::int AS n FROM meetings WHERE tenant_id = $1 AND meeting_id = $2', [tenantA, 'gone-1'])).toEqual([{ n: 0 }]);
    expect(await asOwner('SELECT count(*)::int AS n FROM erased_meetings WHERE tenant_id = $1 AND meeting_id = $2', [tenantA, 'gone-1'])).toEqual([{ n: 1 }]);
    // The meeting recorded only by its certificate: gone too.
    expect(await readMeeting(tenantA, 'cert-1')).toEqual({ rows: 0, opened: [], error: 'MeetingKeyErasedError' });
    // The erased tenant: purged again, tombstoned.
    expect(await asOwner('SELECT count(*)::int AS n FROM segments WHERE tenant_id = $1', [tenantB])).toEqual([{ n: 0 }]);
    expect(await asOwner('SELECT count(*)::int AS n FROM data_keys WHERE tenant_id = $1 AND wrapped IS NOT NULL', [tenantB])).toEqual([{ n: 0 }]);
    expect(await asOwner('SELECT tenant_id FROM erased_tenants WHERE tenant_id = $1', [tenantB])).toEqual([{ tenant_id: tenantB }]);
    // The other meeting: every segment there and decryptable.
    const kept = await readMeeting(tenantA, 'keep-1');
    expect(kept.rows).toBe(20);
    expect(kept.opened).toEqual(Array.from({ length: 20 }, (_, i) => `confidential sentence number ${i + 1}`));
    // RLS, roles and grants came back with the dump: the application role sees nothing without a tenant.
    const appClient = new Client({ connectionString: cluster.appUrl });
    await appClient.connect();
    try {
      expect((await appClient.query('SELECT count(*)::int AS n FROM segments')).rows).toEqual([{ n: 0 }]);
    } finally {
      await appClient.end();
    }

    // Idempotent: running the procedure's second step again changes nothing that matters.
    const again = await restore(dump, '--journal', certificates);
    expect(again).toMatchObject({ tenantsErasedInKms: 1 });
    expect((await readMeeting(tenantA, 'gone-1')).rows).toBe(0);
    expect((await readMeeting(tenantA, 'cert-1')).rows).toBe(0);
    expect((await readMeeting(tenantA, 'keep-1')).opened).toHaveLength(20);
  }, 10 * 60_000);
});
