// What fail-closed auditing costs an audited access (promise 6; docs/adr/0011, docs/adr/0014), side
// by side in one run, on the real components:
//   - log line   LoggingDecisionAuditor (silent logger): no audit log, the floor;
//   - all-in-one RecordAccessDecision over PostgresAuditEventStore: the entry is chained in
//                PostgreSQL (tenant append lock, head read, INSERT) before the access is served;
//   - bus        BusDecisionAuditor on Kafka (acks=all): the access waits for the broker's ack of
//                its AuditEntryRecordedEvent (microservices mode);
// each measured sequentially (latency p50/p99 per record) and at a concurrency (throughput), over
// `BENCH_TENANTS` tenants round-robin. Then the lag from the bus's ack until lifecycle's consumer
// (RecordAuditEntry.appendOnce, as in services/lifecycle) has the entry in the tenant's chain.
/* global process, performance, setTimeout */
// Usage: pnpm infra:up && pnpm build && node bench/audit/audit.bench.mjs [records, default 2000]   (writes bench/results/audit.json)
// BENCH_CONCURRENCY (32), BENCH_TENANTS (8). Kafka from KAFKA_BROKERS or .state/infra/env; PostgreSQL: a
// private embedded instance (default settings: synchronous commit on).
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
const { createLifecycleDataSource, migrateLifecycleDatabase } = require(path.join(root, 'services/lifecycle/dist/adapters/postgres/lifecycle.data-source.js'));
const { RecordAccessDecision } = require(path.join(root, 'services/lifecycle/dist/use-cases/record-access-decision.use-case.js'));
const { RecordAuditEntry } = require(path.join(root, 'services/lifecycle/dist/use-cases/record-audit-entry.use-case.js'));

const N = Number(process.argv[2] ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 8);
const run = randomBytes(3).toString('hex');
const logger = platform.createLogger({ service: 'bench-audit', level: 'silent' });
const tenantOf = (i) => `bench-audit-${run}-t${i % TENANTS}`;
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(3);
};

function kafkaBrokers() {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS.split(',');
  const file = path.join(root, '.state/infra/env');
  if (!existsSync(file)) return undefined;
  const m = /KAFKA_BROKERS=['"]?([^'"\n]+)/.exec(readFileSync(file, 'utf8'));
  return m ? m[1].split(',') : undefined;
}

/** An audited allowed transcript read of `meeting` in `tenant`, as the gateway decides it (ids only). */
function decisionOf(i) {
  const tenant = tenantOf(i);
  return {
    decision: { allow: true, reasons: ['role-reads-tenant-content'], obligations: ['audit'] },
    input: {
      subjectId: `admin-${i % 50}`,
      subjectKind: 'user',
      subjectTenant: tenant,
      action: 'transcript:read',
      resourceTenant: tenant,
      resourceMeeting: `m-${i % 200}`,
      resourceKind: 'meeting',
      grantIds: [],
    },
  };
}

async function measure(auditor, betweenPhases = async () => undefined) {
  // Warm-up (connections, JIT, the producer's metadata), not reported.
  for (let i = 0; i < Math.min(100, N); i++) {
    const { decision, input } = decisionOf(i);
    await auditor.record(decision, input);
  }
  const latencies = [];
  for (let i = 0; i < N; i++) {
    const { decision, input } = decisionOf(i);
    const t = performance.now();
    await auditor.record(decision, input);
    latencies.push(performance.now() - t);
  }
  await betweenPhases();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < N; i = next++) {
        const { decision, input } = decisionOf(i);
        await auditor.record(decision, input);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), perSecondConcurrent: Math.round(N / seconds) };
}

const brokers = kafkaBrokers();
if (!brokers) {
  process.stderr.write('bench:audit needs Kafka: run `pnpm infra:up` (or set KAFKA_BROKERS)\n');
  process.exit(2);
}
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'confide-bench-audit-'));
const pg = await storage.startEmbeddedPostgres({ stateDir });
const lc = createLifecycleDataSource({ databaseUrl: pg.url, poolSize: 16 });
let bus;
let subscription;
try {
  await migrateLifecycleDatabase(pg.migrationUrl);
  await lc.initialize();
  const store = new lifecycle.PostgresAuditEventStore(lc);
  const clock = { now: () => Date.now() };
  bus = await platform.createEventBusFromConfig({ EVENT_BUS: 'kafka', KAFKA_BROKERS: brokers }, logger, `bench-audit-${run}`);

  // Lifecycle's side: appendOnce per envelope id, only this run's tenants (the topic is shared), from the latest offset.
  const recordAuditEntry = new RecordAuditEntry({ store, logger });
  const chainedAt = new Map();
  const router = new platform.EventRouter(logger).on(platform.Events.AuditEntryRecorded, async (event, envelope) => {
    const entry = platform.fromAuditEntryRecordedEvent(event);
    if (!entry || !entry.tenantId.startsWith(`bench-audit-${run}-`)) return;
    await recordAuditEntry.execute(entry, envelope.id);
    chainedAt.set(envelope.id, performance.now());
  });
  subscription = await bus.subscribe({ groupId: `bench-audit-${run}`, topics: [platform.Topics.audit], handler: router.handler, fromBeginning: false });

  const rows = [];
  const none = await measure(new platform.LoggingDecisionAuditor(logger));
  rows.push({ auditor: 'log line (no audit log)', ...none });
  const inProcess = await measure(new RecordAccessDecision({ store, clock, logger }));
  rows.push({ auditor: 'all-in-one: chained in PostgreSQL', ...inProcess });

  // The bus auditor. Its event ids are numbered, so that each entry can be found in the chain.
  let lastId = 0;
  const idOf = (n) => `bench-${run}-${n}`;
  const busAuditor = new platform.BusDecisionAuditor({ bus, logger, ids: { newId: () => idOf(++lastId) } });
  const waitChained = async (from, to, ms) => {
    const until = Date.now() + ms;
    const pending = () => {
      for (let n = from; n <= to; n++) if (!chainedAt.has(idOf(n))) return true;
      return false;
    };
    while (pending() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  };
  // The consumer joins its group before the measured entries: wait until a probe entry is chained.
  const probeStart = Date.now();
  for (;;) {
    const { decision, input } = decisionOf(0);
    await busAuditor.record(decision, input);
    await waitChained(lastId, lastId, 5000);
    if (chainedAt.has(idOf(lastId))) break;
    if (Date.now() - probeStart > 120_000) throw new Error('the audit consumer received nothing within 120 s');
  }
  let burst = { from: 0, to: 0, startedAt: 0, endedAt: 0 };
  const onBus = await measure(busAuditor, async () => {
    await waitChained(1, lastId, 120_000);
    burst = { from: lastId + 1, to: 0, startedAt: performance.now(), endedAt: 0 };
  });
  burst.to = lastId;
  burst.endedAt = performance.now();
  rows.push({ auditor: 'microservices: acked by Kafka', ...onBus });
  await waitChained(burst.from, burst.to, 120_000);
  const burstChained = [];
  for (let n = burst.from; n <= burst.to; n++) if (chainedAt.has(idOf(n))) burstChained.push(chainedAt.get(idOf(n)));

  // Steady: one audited access every STEADY_GAP_MS (the consumer is not behind), broker ack -> in the chain.
  const STEADY = 200;
  const STEADY_GAP_MS = 20;
  const acked = new Map();
  for (let i = 0; i < STEADY; i++) {
    const { decision, input } = decisionOf(i);
    await busAuditor.record(decision, input);
    acked.set(lastId, performance.now());
    await new Promise((r) => setTimeout(r, STEADY_GAP_MS));
  }
  const firstSteady = Math.min(...acked.keys());
  await waitChained(firstSteady, lastId, 60_000);
  const steady = [...acked].filter(([n]) => chainedAt.has(idOf(n))).map(([n, t]) => Math.max(0, chainedAt.get(idOf(n)) - t));
  const missing = burst.to - burst.from + 1 - burstChained.length + (STEADY - steady.length);
  const lag = {
    steady: { entries: steady.length, gapMs: STEADY_GAP_MS, p50Ms: quantile(steady, 0.5), p99Ms: quantile(steady, 0.99) },
    burst: {
      entries: burstChained.length,
      // The consumer's pace over the burst, and how long after the burst's last ack its last entry was chained.
      chainedPerSecond: Math.round(burstChained.length / ((Math.max(...burstChained) - burst.startedAt) / 1000)),
      drainAfterLastAckMs: +(Math.max(...burstChained) - burst.endedAt).toFixed(1),
    },
    missing,
  };

  // The chains hold: every entry links to the one before it and its hash rebuilds (else the bench fails).
  let verified = 0;
  for (let t = 0; t < TENANTS; t++) {
    const events = await store.eventsAfter(tenantOf(t), 0, 1_000_000);
    let prev = lifecycle.GENESIS_HASH;
    for (const [k, e] of events.entries()) {
      const { hash, ...unhashed } = e;
      if (e.seq !== k + 1 || e.prevHash !== prev || lifecycle.hashAuditEvent(unhashed) !== hash) {
        throw new Error(`the chain of ${tenantOf(t)} does not hold at seq ${e.seq}`);
      }
      prev = hash;
    }
    verified += events.length;
  }

  const table = [
    '',
    `Audited access: ${N} records sequential (latency) and at concurrency ${CONCURRENCY} (throughput), ${TENANTS} tenants`,
    '',
    '| auditor | p50 ms | p99 ms | records/s at concurrency |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.auditor} | ${r.p50Ms} | ${r.p99Ms} | ${r.perSecondConcurrent} |`),
    '',
    `bus -> chain (lifecycle's appendOnce after the broker's ack), one access every ${lag.steady.gapMs} ms: p50 ${lag.steady.p50Ms} ms, p99 ${lag.steady.p99Ms} ms over ${lag.steady.entries} entries;`,
    `  burst of ${lag.burst.entries}: consumer chained ${lag.burst.chainedPerSecond}/s, last entry ${lag.burst.drainAfterLastAckMs} ms after the last ack` +
      (missing > 0 ? `; ${missing} not chained within 120 s` : ''),
    `chained entries in this run's tenants: ${verified}`,
  ];
  const result = {
    bench: 'audit',
    at: new Date().toISOString(),
    records: N,
    concurrency: CONCURRENCY,
    tenants: TENANTS,
    machine: { cpus: os.cpus().length, node: process.version },
    rows,
    busToChainLag: lag,
    chainedEntries: verified,
  };
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, 'bench/results/audit.json'), `${JSON.stringify(result, null, 2)}\n`);
  table.push('', 'written bench/results/audit.json', '');
  process.stdout.write(table.join('\n'));
} finally {
  await subscription?.close().catch(() => undefined);
  await bus?.close().catch(() => undefined);
  if (lc.isInitialized) await lc.destroy();
  await pg.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
