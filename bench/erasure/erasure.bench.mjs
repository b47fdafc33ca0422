// Crypto-erasure of a whole tenant holding 1k, 10k and 100k encrypted segments, side by side, and
// the physical purge that follows (docs/adr/0012-retention.md; issue 6). The design's aim: the
// crypto-erasure is flat — one KMS call (the tenant key destroyed) whatever the tenant holds —
// while the purge grows with the rows.
/* global process, performance */
// Usage: pnpm build && node bench/erasure/erasure.bench.mjs [sizes, default 1000,10000,100000]   (writes bench/results/erasure.json)
// BENCH_REPEAT (3): fresh tenants per size; the table and JSON give the median, the JSON every sample.
// KMS: the LocalKms always; OpenBao Transit as well when VAULT_ADDR/VAULT_TOKEN_FILE (or .state/infra/env) name a reachable one.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'packages/platform/package.json'));
const platform = require(path.join(root, 'packages/platform/dist/index.js'));
const storage = require(path.join(root, 'services/storage/dist/index.js'));
const lifecycle = require(path.join(root, 'services/lifecycle/dist/index.js'));
const { PostgresDataKeyRepository } = require(path.join(root, 'services/storage/dist/adapters/postgres/data-key.repository.js'));
const { PostgresMeetingMaintenanceRepository } = require(path.join(root, 'services/storage/dist/adapters/postgres/meeting-maintenance.repository.js'));
const { bindContentKeys, sealMeeting, sealSegment } = require(path.join(root, 'services/storage/dist/adapters/postgres/content.codec.js'));
const { createLifecycleDataSource, migrateLifecycleDatabase } = require(path.join(root, 'services/lifecycle/dist/adapters/postgres/lifecycle.data-source.js'));
const { PostgresErasureRequestRepository } = require(path.join(root, 'services/lifecycle/dist/adapters/postgres/erasure-request.repository.js'));
const { PostgresErasureCertificateStore } = require(path.join(root, 'services/lifecycle/dist/adapters/postgres/erasure-certificate.repository.js'));
const { IssueErasureCertificate } = require(path.join(root, 'services/lifecycle/dist/use-cases/issue-erasure-certificate.use-case.js'));

const SIZES = (process.argv[2] ?? '1000,10000,100000').split(',').map(Number);
const PER_MEETING = 1000;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const BATCH = 1000;
const logger = platform.createLogger({ service: 'bench-erasure', level: 'silent' });
const run = randomBytes(3).toString('hex');
const ms = (t0) => +(performance.now() - t0).toFixed(2);

/** Seals through storage's content codec and inserts in batches of 1000 rows (application role, RLS). */
async function seedTenant(app, tenantId, segments) {
  const db = new storage.TenantScopedDatabase(app);
  const meetings = Math.max(1, Math.ceil(segments / PER_MEETING));
  for (let mi = 1; mi <= meetings; mi++) {
    const meetingId = `m-${mi}`;
    const n = Math.min(PER_MEETING, segments - (mi - 1) * PER_MEETING);
    const c = await sealMeeting({ tenantId, meetingId, kind: 'meeting', recordId: meetingId }, { title: `meeting ${mi}`, participants: [] });
    await db.withTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO meetings (tenant_id, meeting_id, title, participants, status, started_at_ms, ended_at_ms, segment_count)
         VALUES ($1, $2, $3, $4, 2, $5, $6, $7)`,
        [tenantId, meetingId, c.title, c.participants, Date.now() - 7_200_000, Date.now() - 3_600_000, n],
      ),
    );
    for (let from = 1; from <= n; from += BATCH) {
      const to = Math.min(n, from + BATCH - 1);
      const ids = [];
      const starts = [];
      const rows = await Promise.all(
        Array.from({ length: to - from + 1 }, (_, k) => {
          const i = from + k;
          ids.push(`${meetingId}:p1:${i}`);
          starts.push(i * 1000);
          return sealSegment({ tenantId, meetingId, kind: 'segment', recordId: `${meetingId}:p1:${i}` }, { text: `budget sentence number ${i}`, speakerLabel: 'Speaker 1' });
        }),
      );
      await db.withTenant(tenantId, (m) =>
        m.query(
          `INSERT INTO segments (tenant_id, segment_id, meeting_id, track_id, speaker_label, text, start_ms, end_ms, confidence, sequence)
           SELECT $1, u.id, $2, 'p1', u.speaker, u.text, u.start, u.start + 900, 0.9, u.start / 1000
             FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[]) AS u(id, speaker, text, start)`,
          [tenantId, meetingId, ids, rows.map((r) => r.speakerLabel), rows.map((r) => r.text), starts],
        ),
      );
    }
  }
  return meetings;
}

function vaultFromEnv() {
  const file = path.join(root, '.state/infra/env');
  const env = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^(?:export\s+)?([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
    }
  }
  const address = process.env.VAULT_ADDR ?? env.VAULT_ADDR;
  const tokenFile = process.env.VAULT_TOKEN_FILE ?? env.VAULT_TOKEN_FILE;
  if (!address || !tokenFile || !existsSync(tokenFile)) return undefined;
  return new platform.VaultTransitKms({ address, tokenFile, mountPath: process.env.VAULT_TRANSIT_MOUNT ?? env.VAULT_TRANSIT_MOUNT ?? 'transit', timeoutMs: 10_000 });
}

const stateDir = mkdtempSync(path.join(os.tmpdir(), 'confide-bench-erasure-'));
const pg = await storage.startEmbeddedPostgres({
  stateDir,
  postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
});
const owner = storage.createStorageDataSource({ databaseUrl: pg.migrationUrl, poolSize: 2 });
const app = storage.createStorageDataSource({ databaseUrl: pg.url, poolSize: 8 });
const lc = createLifecycleDataSource({ databaseUrl: pg.url, poolSize: 4 });
const cleanups = [];
try {
  await storage.migrateStorage(owner);
  await migrateLifecycleDatabase(pg.migrationUrl);
  await app.initialize();
  await lc.initialize();
  const kmses = [{ name: 'local', kms: await platform.LocalKms.open({ dir: path.join(stateDir, 'kms') }) }];
  const vault = vaultFromEnv();
  if (vault && (await vault.health()) === 'ok') kmses.push({ name: 'transit', kms: vault });
  else process.stdout.write('OpenBao Transit not configured or not reachable: LocalKms only (pnpm infra:up for both)\n');

  const maintenance = new PostgresMeetingMaintenanceRepository(app);
  const requests = new PostgresErasureRequestRepository(lc);
  const certificates = new PostgresErasureCertificateStore(lc);
  const audit = new lifecycle.ChainedAuditLog(new lifecycle.PostgresAuditEventStore(lc));
  const clock = { now: () => Date.now() };
  const results = [];
  for (const { name, kms } of kmses) {
    const signingKeyName = `confide-bench-${run}-signing`;
    await kms.createKey(signingKeyName, 'ed25519');
    cleanups.push(() => kms.destroyKey(signingKeyName).catch(() => undefined));
    const unbind = bindContentKeys(new platform.MeetingKeyring({ kms, registry: new PostgresDataKeyRepository(app) }));
    try {
      // One unreported warm-up erasure per KMS (connections, JIT, first Transit calls), then the sizes.
      const runs = [{ size: 100, rep: 0, warmUp: true }, ...SIZES.flatMap((size) => Array.from({ length: REPEAT }, (_, rep) => ({ size, rep, warmUp: false })))];
      const samples = [];
      for (const { size, rep, warmUp } of runs) {
        const tenantId = `bench-${name}-${run}-${warmUp ? 'warmup' : `${size}-${rep}`}`;
        cleanups.push(() => kms.destroyKey(platform.tenantKeyName(tenantId)).catch(() => undefined));
        const seeded = performance.now();
        const meetings = await seedTenant(app, tenantId, size);
        const seedMs = ms(seeded);
        let cryptoMs = 0;
        let cryptoDoneAt = 0;
        let purgeMs = 0;
        const erase = new lifecycle.EraseTenant({
          kms: {
            destroyKey: async (keyName) => {
              const t = performance.now();
              await kms.destroyKey(keyName);
              cryptoMs = ms(t);
              cryptoDoneAt = performance.now();
            },
          },
          storage: {
            purgeTenant: async (t) => {
              const t0 = performance.now();
              const c = await maintenance.purgeTenant(t, Date.now());
              purgeMs = ms(t0);
              return c;
            },
          },
          requests,
          erasures: new IssueErasureCertificate({ store: certificates, kms, signingKeyName, clock, audit }),
          audit,
          clock,
          logger,
        });
        const t0 = performance.now();
        const result = await erase.execute({ tenantId, requestedBy: 'bench', reason: 'benchmark' });
        const totalMs = ms(t0);
        if (result.erased.segments !== size) throw new Error(`purged ${result.erased.segments} segments, expected ${size}`);
        // The call returns once the key is destroyed, the rows purged and the certificate signed.
        // cryptoErasedAfterCallMs: from the call to the tenant key destroyed (outbox row + one KMS call):
        // from then on nothing of the tenant can be decrypted anywhere.
        const cryptoErasedAfterCallMs = +(cryptoDoneAt - t0).toFixed(2);
        if (warmUp) continue;
        samples.push({ size, meetings, seedMs, kmsDestroyMs: cryptoMs, cryptoErasedAfterCallMs, purgeMs, totalMs });
        process.stdout.write(
          `  ${name.padEnd(7)} ${String(size).padStart(6)} segments: tenant key destroyed ${cryptoErasedAfterCallMs} ms after the call (KMS ${cryptoMs} ms), purge ${purgeMs} ms, whole call ${totalMs} ms (seeded in ${seedMs} ms)\n`,
        );
      }
      for (const size of SIZES) {
        const of = samples.filter((x) => x.size === size);
        const pick = (k) => +median(of.map((x) => x[k])).toFixed(2);
        results.push({
          kms: name,
          segments: size,
          meetings: of[0].meetings,
          runs: of.length,
          cryptoErasedAfterCallMs: pick('cryptoErasedAfterCallMs'),
          kmsDestroyMs: pick('kmsDestroyMs'),
          purgeMs: pick('purgeMs'),
          totalMs: pick('totalMs'),
          seedMs: pick('seedMs'),
          samples: of.map(({ cryptoErasedAfterCallMs, purgeMs, totalMs }) => ({ cryptoErasedAfterCallMs, purgeMs, totalMs })),
        });
      }
    } finally {
      unbind();
    }
  }

  const table = ['', `crypto-erasure of a tenant (one KMS call) vs its physical purge, median of ${REPEAT} runs, ${os.cpus().length} CPUs:`, ''];
  table.push(`  ${'kms'.padEnd(8)}${SIZES.map((s) => `${s} seg`.padStart(14)).join('')}`);
  for (const { name } of kmses) {
    const rows = results.filter((r) => r.kms === name);
    table.push(`  ${name.padEnd(8)}${rows.map((r) => `${r.cryptoErasedAfterCallMs} ms`.padStart(14)).join('')}   crypto-erasure: call -> tenant key destroyed (one KMS call)`);
    table.push(`  ${''.padEnd(8)}${rows.map((r) => `${r.purgeMs} ms`.padStart(14)).join('')}   physical purge (rows deleted, keys tombstoned)`);
    table.push(`  ${''.padEnd(8)}${rows.map((r) => `${r.totalMs} ms`.padStart(14)).join('')}   whole EraseTenant call (outbox, crypto, purge, certificate)`);
  }
  const result = {
    benchmark: 'erasure',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    postgres: 'embedded (fsync off)',
    segmentsPerMeeting: PER_MEETING,
    repeat: REPEAT,
    statistic: 'median',
    aim: 'crypto-erasure flat in the number of segments (one KMS call); purge grows with rows',
    results,
  };
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, 'bench/results/erasure.json'), `${JSON.stringify(result, null, 2)}\n`);
  table.push('', 'written bench/results/erasure.json', '');
  process.stdout.write(table.join('\n'));
} finally {
  for (const c of cleanups) await c();
  if (lc.isInitialized) await lc.destroy();
  if (app.isInitialized) await app.destroy();
  if (owner.isInitialized) await owner.destroy();
  await pg.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
