import { SIGNING_KEY_NAME } from '@confide/platform';
import { PostgresAuditEventStore } from '../../src/adapters/postgres/audit-event.repository';
import { GENESIS_HASH, hashAuditEvent } from '../../src/domain/audit-chain';
import { locateFirstTampering, verifyAuditExport } from '../../src/domain/audit-export.verifier';
import { publishedSigningKeys, type PublishedSigningKeys } from '../../src/domain/signing';
import { AuditCheckpointer } from '../../src/use-cases/audit-checkpointer';
import { ChainedAuditLog } from '../../src/use-cases/chained-audit-log';
import { ExportAuditLog } from '../../src/use-cases/export-audit-log.use-case';
import { SignAuditCheckpoint } from '../../src/use-cases/sign-audit-checkpoint.use-case';
import {
  DB_START_TIMEOUT_MS,
  manualClock,
  openLifecycleDatabase,
  openTestKms,
  startEmbeddedTestDatabase,
  uniqueTenant,
  type LifecycleTestContext,
  type TestKms,
} from './support/lifecycle-db';

describe('audit log on PostgreSQL (hash chain, signed checkpoints, export, offline verification)', () => {
  let ctx: LifecycleTestContext;
  let keys: TestKms;
  let store: PostgresAuditEventStore;
  let audit: ChainedAuditLog;
  let checkpoint: SignAuditCheckpoint;
  let exporter: ExportAuditLog;
  let published: PublishedSigningKeys; // version 1 only (the rotation test comes last)
  const clock = manualClock();

  beforeAll(async () => {
    ctx = await openLifecycleDatabase(await startEmbeddedTestDatabase());
    keys = await openTestKms();
    store = new PostgresAuditEventStore(ctx.app);
    audit = new ChainedAuditLog(store);
    checkpoint = new SignAuditCheckpoint({ store, kms: keys.kms, signingKeyName: SIGNING_KEY_NAME, clock });
    exporter = new ExportAuditLog({ store, clock, signingKeyName: SIGNING_KEY_NAME, pageSize: 3 });
    published = publishedSigningKeys(SIGNING_KEY_NAME, await keys.kms.publicKeys(SIGNING_KEY_NAME));
  }, DB_START_TIMEOUT_MS);

  afterAll(async () => {
    await ctx?.dispose();
    await keys?.dispose();
  });

  async function seed(tenant: string, n: number, opts: { checkpointEvery?: number } = {}): Promise<void> {
    for (let i = 1; i <= n; i++) {
      await audit.append({
        tenantId: tenant,
        actor: `user-${i % 3}`,
        action: i % 2 ? 'transcript:read' : 'meeting:delete',
        resource: `meeting/m-${i}`,
        outcome: 'success',
        atMs: clock.now() + i,
        obligations: ['audit'],
      });
      if (opts.checkpointEvery && i % opts.checkpointEvery === 0) await checkpoint.execute(tenant);
    }
  }

  /** Runs `sql` as the owner with the append-only trigger off (what a malicious DBA could do). */
  async function tamper(tenant: string, sql: string, params: unknown[] = []): Promise<void> {
    await ctx.asOwner(tenant, 'ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    try {
      await ctx.asOwner(tenant, sql, params);
    } finally {
      await ctx.asOwner(tenant, 'ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    }
  }

  it('chains events from the genesis hash: seq 1, 2, 3 with prev_hash = previous hash', async () => {
    const tenant = uniqueTenant('chain');
    await seed(tenant, 3);
    const events = await store.eventsAfter(tenant, 0, 10);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(events[0]!.prevHash).toBe(GENESIS_HASH);
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
    expect(events[2]!.prevHash).toBe(events[1]!.hash);
    for (const e of events) expect(hashAuditEvent(e)).toBe(e.hash);
    expect(await store.head(tenant)).toEqual({ seq: 3, hash: events[2]!.hash });
  });

  it('serialises concurrent appends per tenant: no gap, no fork, tenants independent', async () => {
    const a = uniqueTenant('conc-a');
    const b = uniqueTenant('conc-b');
    const appends = Array.from({ length: 40 }, (_, i) =>
      audit.append({ tenantId: i % 2 ? a : b, actor: `u${i}`, action: 'meeting:read', resource: `meeting/${i}`, outcome: 'success', atMs: i }),
    );
    await Promise.all(appends);
    for (const tenant of [a, b]) {
      const events = await store.eventsAfter(tenant, 0, 100);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const result = verifyAuditExport(await exporter.text(tenant), published);
      expect(result).toMatchObject({ ok: true, events: 20, lastSeq: 20, checkpointedThroughSeq: 0, unsignedTail: 20 });
    }
  });

  it('signs checkpoints with the ed25519 signing key; the export verifies offline', async () => {
    const tenant = uniqueTenant('ckpt');
    expect(await checkpoint.execute(tenant)).toBeUndefined(); // nothing to sign yet
    await seed(tenant, 7, { checkpointEvery: 3 });
    const again = await checkpoint.execute(tenant); // head 7
    expect(again).toMatchObject({ tenantId: tenant, seq: 7, keyVersion: 1 });
    expect(await checkpoint.execute(tenant)).toEqual(again); // idempotent at the same head
    expect(await keys.kms.verify(SIGNING_KEY_NAME, Buffer.from('x'), again!.signature)).toBe(false);

    const text = await exporter.text(tenant);
    const lines = text.trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'header', format: 'confide.audit-export', tenant_id: tenant });
    expect(lines.filter((l) => l.includes('"type":"checkpoint"'))).toHaveLength(3); // seq 3, 6, 7
    expect(text).not.toContain('reason');
    const result = verifyAuditExport(text, published);
    expect(result).toMatchObject({ ok: true, tenantId: tenant, events: 7, checkpoints: 3, checkpointedThroughSeq: 7, unsignedTail: 0, errors: [] });
  });

  it('checkpoints the tenants a process appended to when the checkpointer flushes', async () => {
    const a = uniqueTenant('flush-a');
    const b = uniqueTenant('flush-b');
    const checkpointer = new AuditCheckpointer({ sign: checkpoint, maxUnsigned: 1000 });
    const log = new ChainedAuditLog(store, checkpointer);
    for (const tenant of [a, b, a]) await log.append({ tenantId: tenant, actor: 'u1', action: 'meeting:read', resource: 'meeting/m1', outcome: 'success', atMs: 1 });
    expect(checkpointer.pendingTenants().sort()).toEqual([a, b].sort());
    await checkpointer.flush();
    expect(checkpointer.pendingTenants()).toEqual([]);
    expect(verifyAuditExport(await exporter.text(a), published)).toMatchObject({ ok: true, events: 2, checkpointedThroughSeq: 2, unsignedTail: 0 });
    expect(verifyAuditExport(await exporter.text(b), published)).toMatchObject({ ok: true, events: 1, checkpointedThroughSeq: 1, unsignedTail: 0 });
  });

  it('keeps tenants apart: an export holds only its tenant, another tenant sees an empty log', async () => {
    const a = uniqueTenant('iso-a');
    const b = uniqueTenant('iso-b');
    await seed(a, 2);
    const textB = await exporter.text(b);
    expect(textB.trim().split('\n')).toHaveLength(1); // header only
    expect(textB).not.toContain(a);
    expect(await store.head(b)).toBeUndefined();
  });

  describe('tampering in SQL as the owner is detected', () => {
    it('a modified event', async () => {
      const tenant = uniqueTenant('t-mod');
      await seed(tenant, 5, { checkpointEvery: 5 });
      await tamper(tenant, `UPDATE audit_events SET resource = 'meeting/other' WHERE tenant_id = $1 AND seq = 3`, [tenant]);
      const result = verifyAuditExport(await exporter.text(tenant), published);
      expect(result.ok).toBe(false);
      expect(result.errors.map((e) => e.code)).toEqual(['hash-mismatch']);
      // The exact entry: seq 3 (line 4: the header is line 1).
      expect(locateFirstTampering(await exporter.text(tenant), published)).toMatchObject({ kind: 'modified', seq: 3, line: 4 });
    });

    it('a removed event', async () => {
      const tenant = uniqueTenant('t-del');
      await seed(tenant, 5, { checkpointEvery: 5 });
      await tamper(tenant, 'DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 2', [tenant]);
      const result = verifyAuditExport(await exporter.text(tenant), published);
      expect(result.ok).toBe(false);
      expect(result.errors.map((e) => e.code)).toEqual(['sequence-break', 'chain-break']);
      expect(locateFirstTampering(await exporter.text(tenant), published)).toMatchObject({ kind: 'removed', seq: 2, line: 3 });
    });

    it('reordered events', async () => {
      const tenant = uniqueTenant('t-swap');
      await seed(tenant, 5, { checkpointEvery: 5 });
      await tamper(tenant, 'UPDATE audit_events SET seq = 1000 WHERE tenant_id = $1 AND seq = 2', [tenant]);
      await tamper(tenant, 'UPDATE audit_events SET seq = 2 WHERE tenant_id = $1 AND seq = 3', [tenant]);
      await tamper(tenant, 'UPDATE audit_events SET seq = 3 WHERE tenant_id = $1 AND seq = 1000', [tenant]);
      const result = verifyAuditExport(await exporter.text(tenant), published);
      expect(result.ok).toBe(false);
      expect(result.errors.map((e) => e.code)).toEqual(expect.arrayContaining(['hash-mismatch', 'chain-break']));
      // Seq 3's authentic entry now sits at position 2 (line 3).
      expect(locateFirstTampering(await exporter.text(tenant), published)).toMatchObject({ kind: 'reordered', seq: 3, line: 3 });
    });

    it('an inserted event (renumbering the rest)', async () => {
      const tenant = uniqueTenant('t-ins');
      await seed(tenant, 5, { checkpointEvery: 5 });
      const [second] = await store.eventsAfter(tenant, 1, 1);
      await tamper(tenant, 'UPDATE audit_events SET seq = seq + 100 WHERE tenant_id = $1 AND seq >= 3', [tenant]);
      await tamper(tenant, 'UPDATE audit_events SET seq = seq - 99 WHERE tenant_id = $1 AND seq >= 103', [tenant]);
      const forged = { ...second!, seq: 3, prevHash: second!.hash, actor: 'forger', resource: 'meeting/forged' };
      await ctx.asOwner(
        tenant,
        `INSERT INTO audit_events (tenant_id, seq, occurred_at_ms, actor, action, resource, decision, outcome, obligations, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [tenant, 3, forged.occurredAtMs, forged.actor, forged.action, forged.resource, forged.decision, forged.outcome, forged.obligations, forged.prevHash, hashAuditEvent(forged)],
      );
      const result = verifyAuditExport(await exporter.text(tenant), published);
      expect(result.ok).toBe(false);
      // The forged event itself is well linked; its successor no longer is, and the signed head moved.
      expect(result.errors.map((e) => e.code)).toEqual(expect.arrayContaining(['chain-break']));
      expect(result.events).toBe(6);
      // The forged entry is seq 3 (line 4): the authentic seq 3 was pushed to seq 4.
      expect(locateFirstTampering(await exporter.text(tenant), published)).toMatchObject({ kind: 'inserted', seq: 3, line: 4 });
    });

    it('a rewritten chain (every hash recomputed after a change) through the signed checkpoint', async () => {
      const tenant = uniqueTenant('t-rewrite');
      await seed(tenant, 4, { checkpointEvery: 4 });
      const events = await store.eventsAfter(tenant, 0, 10);
      let prev = GENESIS_HASH;
      const rewritten = events.map((e) => {
        const changed = { ...e, actor: e.seq === 2 ? 'nobody' : e.actor, prevHash: prev };
        const hash = hashAuditEvent(changed);
        prev = hash;
        return { ...changed, hash };
      });
      for (const e of rewritten) {
        await tamper(tenant, 'UPDATE audit_events SET actor = $3, prev_hash = $4, hash = $5 WHERE tenant_id = $1 AND seq = $2', [tenant, e.seq, e.actor, e.prevHash, e.hash]);
      }
      const result = verifyAuditExport(await exporter.text(tenant), published);
      expect(result.ok).toBe(false);
      expect(result.errors.map((e) => e.code)).toEqual(['checkpoint-mismatch']);
    });

    it('a checkpoint with a bad signature, or signed by an unpublished key', async () => {
      const tenant = uniqueTenant('t-sig');
      await seed(tenant, 2, { checkpointEvery: 2 });
      await ctx.asOwner(tenant, 'ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_append_only');
      try {
        await ctx.asOwner(tenant, 'UPDATE audit_checkpoints SET signed_at_ms = signed_at_ms + 1 WHERE tenant_id = $1', [tenant]);
      } finally {
        await ctx.asOwner(tenant, 'ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_append_only');
      }
      const text = await exporter.text(tenant);
      expect(verifyAuditExport(text, published).errors.map((e) => e.code)).toEqual(['bad-signature']);

      const other = await openTestKms();
      try {
        const stranger = publishedSigningKeys(SIGNING_KEY_NAME, await other.kms.publicKeys(SIGNING_KEY_NAME));
        const t2 = uniqueTenant('t-sig2');
        await seed(t2, 1, { checkpointEvery: 1 });
        expect(verifyAuditExport(await exporter.text(t2), stranger).errors.map((e) => e.code)).toEqual(['bad-signature']);
        expect(verifyAuditExport(await exporter.text(t2), []).errors.map((e) => e.code)).toEqual(['unknown-key-version']);
      } finally {
        await other.dispose();
      }
    });
  });

  it('verifies checkpoints signed before a key rotation with the older published version', async () => {
    const tenant = uniqueTenant('rotate');
    await seed(tenant, 2, { checkpointEvery: 2 });
    await keys.kms.rotateKey(SIGNING_KEY_NAME);
    await seed(tenant, 2, { checkpointEvery: 2 });
    const all = publishedSigningKeys(SIGNING_KEY_NAME, await keys.kms.publicKeys(SIGNING_KEY_NAME));
    const text = await exporter.text(tenant);
    expect(text).toContain('"key_version":1');
    expect(text).toContain('"key_version":2');
    expect(verifyAuditExport(text, all)).toMatchObject({ ok: true, checkpointedThroughSeq: 4 });
    expect(verifyAuditExport(text, published).errors.map((e) => e.code)).toEqual(['unknown-key-version']);
  });
});
