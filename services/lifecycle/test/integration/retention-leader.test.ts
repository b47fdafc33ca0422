import { Client } from 'pg';
import { AdvisoryLockLeaderElection } from '../../src/adapters/postgres/advisory-lock.leader-election';
import { PostgresRetentionPolicyRepository } from '../../src/adapters/postgres/retention-policy.repository';
import { retentionCutoffMs } from '../../src/domain/retention-policy';
import { RunAsLeader } from '../../src/use-cases/run-as-leader.use-case';
import {
  DB_START_TIMEOUT_MS,
  openLifecycleDatabase,
  startEmbeddedTestDatabase,
  uniqueTenant,
  type LifecycleTestContext,
} from './support/lifecycle-db';

describe('retention policies and scheduler leadership on PostgreSQL', () => {
  let ctx: LifecycleTestContext;
  let policies: PostgresRetentionPolicyRepository;
  const elections: AdvisoryLockLeaderElection[] = [];

  beforeAll(async () => {
    ctx = await openLifecycleDatabase(await startEmbeddedTestDatabase());
    policies = new PostgresRetentionPolicyRepository(ctx.app);
  }, DB_START_TIMEOUT_MS);

  afterEach(async () => {
    await Promise.all(elections.splice(0).map((e) => e.release()));
  });

  afterAll(async () => {
    await ctx?.dispose();
  });

  const election = (name: string) => {
    const e = new AdvisoryLockLeaderElection({ databaseUrl: ctx.urls.appUrl, name });
    elections.push(e);
    return e;
  };

  describe('retention policy repository', () => {
    it('defaults to 90 days, delete; stores a tenant policy; resets to the default', async () => {
      const tenant = uniqueTenant('ret');
      expect(await policies.get(tenant)).toEqual({ tenantId: tenant, days: 90, action: 'delete', isDefault: true, updatedAtMs: null, updatedBy: null });
      const set = await policies.set(tenant, { days: 30, action: 'archive' }, { actor: 'u-admin', atMs: 1234 });
      expect(set).toEqual({ tenantId: tenant, days: 30, action: 'archive', isDefault: false, updatedAtMs: 1234, updatedBy: 'u-admin' });
      expect(await policies.get(tenant)).toEqual(set);
      expect(await policies.set(tenant, { days: 365, action: 'delete' }, { actor: 'u-owner', atMs: 5678 })).toMatchObject({ days: 365, action: 'delete', updatedBy: 'u-owner' });
      expect(retentionCutoffMs(await policies.get(tenant), 365 * 86_400_000 + 1)).toBe(1);
      expect(await policies.reset(tenant)).toBe(true);
      expect(await policies.reset(tenant)).toBe(false);
      expect((await policies.get(tenant)).isDefault).toBe(true);
    });

    it('refuses invalid policies', async () => {
      const tenant = uniqueTenant('ret-bad');
      await expect(policies.set(tenant, { days: 0, action: 'delete' }, { actor: 'u', atMs: 1 })).rejects.toMatchObject({ kind: 'invalid-argument' });
      await expect(policies.set(tenant, { days: 10, action: 'shred' as never }, { actor: 'u', atMs: 1 })).rejects.toMatchObject({ kind: 'invalid-argument' });
      await expect(
        ctx.asApp(tenant, `INSERT INTO retention_policies (tenant_id, retention_days, action, updated_at_ms, updated_by) VALUES ($1, 0, 'delete', 1, 'u')`, [tenant]),
      ).rejects.toThrow(/check constraint/);
    });

    it('keeps each tenant to its own policy', async () => {
      const a = uniqueTenant('ret-a');
      const b = uniqueTenant('ret-b');
      await policies.set(a, { days: 7, action: 'delete' }, { actor: 'u', atMs: 1 });
      expect(await policies.get(b)).toMatchObject({ days: 90, isDefault: true });
      expect(await policies.reset(b)).toBe(false);
      expect(await policies.get(a)).toMatchObject({ days: 7 });
    });
  });

  describe('leader election by pg_try_advisory_lock', () => {
    it('lets exactly one of two instances lead; the other takes over when the first releases', async () => {
      const first = election('retention-release');
      const second = election('retention-release');
      expect(await first.tryAcquire()).toBe(true);
      expect(await second.tryAcquire()).toBe(false);
      expect(await first.tryAcquire()).toBe(true); // re-entrant for the leader, still one holder
      expect([await first.isLeader(), await second.isLeader()]).toEqual([true, false]);

      await first.release();
      expect(await first.isLeader()).toBe(false);
      expect(await second.tryAcquire()).toBe(true);
      expect(await first.tryAcquire()).toBe(false);
      // A different name is a different election.
      expect(await election('another-scheduler').tryAcquire()).toBe(true);
    });

    it('hands over when the leader dies (its connection is terminated): the old leader learns it lost', async () => {
      const first = election('retention-death');
      const second = election('retention-death');
      expect(await first.tryAcquire()).toBe(true);
      expect(await second.tryAcquire()).toBe(false);
      const pid = await first.backendPid();
      const admin = new Client({ connectionString: ctx.urls.migrationUrl });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [pid]);
        expect(rows[0]!.ok).toBe(true);
      } finally {
        await admin.end();
      }
      await waitFor(() => second.tryAcquire());
      expect(await first.isLeader()).toBe(false);
      expect(await first.tryAcquire()).toBe(false); // reconnects, stays a follower
    });

    it('RunAsLeader runs the task on the leader only and moves it on stop', async () => {
      const runs: string[] = [];
      const a = new RunAsLeader({ election: election('retention-run'), intervalMs: 60_000, task: async () => void runs.push('a') });
      const b = new RunAsLeader({ election: election('retention-run'), intervalMs: 60_000, task: async () => void runs.push('b') });
      await a.tick();
      await b.tick();
      await a.tick();
      await b.tick();
      expect(runs).toEqual(['a', 'a']);
      expect([a.isLeading, b.isLeading]).toEqual([true, false]);
      await a.stop();
      await b.tick();
      expect(runs).toEqual(['a', 'a', 'b']);
      expect(b.isLeading).toBe(true);
      await b.stop();
    });
  });
});

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
