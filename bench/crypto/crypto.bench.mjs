// Storage write throughput with content encryption vs the plaintext baseline (same run, same
// database), and KMS calls per meeting on the hot path (docs/adr/0010-key-hierarchy.md).
/* global process, performance, Buffer */
// Usage: pnpm build && node bench/crypto/crypto.bench.mjs [segments] [meetings]   (writes bench/results/crypto.json)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'packages/platform/package.json'));
const platform = require(path.join(root, 'packages/platform/dist/index.js'));
const storage = require(path.join(root, 'services/storage/dist/index.js'));
const { PostgresMeetingRecordRepository } = require(path.join(root, 'services/storage/dist/adapters/postgres/meeting-record.repository.js'));
const { PostgresDataKeyRepository } = require(path.join(root, 'services/storage/dist/adapters/postgres/data-key.repository.js'));
const { bindContentKeys } = require(path.join(root, 'services/storage/dist/adapters/postgres/content.codec.js'));

const SEGMENTS = Number(process.argv[2] ?? 3000);
const MEETINGS = Number(process.argv[3] ?? 30);
const CONCURRENCY = 4;
const TEXT = 'please send the quarterly budget report to the finance team by friday and confirm the numbers';

const segment = (tenantId, meetingId, sequence) => ({
  segmentId: `${meetingId}:p1:${sequence}`,
  meetingId,
  tenantId,
  trackId: 'p1',
  speakerLabel: 'Speaker 1',
  text: `${TEXT} ${sequence}`,
  startMs: sequence * 1000,
  endMs: sequence * 1000 + 900,
  isFinal: true,
  confidence: 0.9,
  sequence,
});

/** Writes SEGMENTS segments spread over MEETINGS meetings, CONCURRENCY writers; segments/s. */
async function writeAll(repo, tenantId, prefix) {
  const jobs = [];
  for (let i = 0; i < SEGMENTS; i++) jobs.push(segment(tenantId, `${prefix}-${i % MEETINGS}`, Math.floor(i / MEETINGS) + 1));
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < jobs.length) await repo.recordFinalSegment(jobs[next++], Date.now());
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { segments: SEGMENTS, meetings: MEETINGS, seconds: +seconds.toFixed(3), segmentsPerSecond: +(SEGMENTS / seconds).toFixed(1) };
}

const stateDir = mkdtempSync(path.join(os.tmpdir(), 'confide-bench-crypto-'));
const pg = await storage.startEmbeddedPostgres({
  stateDir,
  postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
});
const owner = storage.createStorageDataSource({ databaseUrl: pg.migrationUrl, poolSize: 2 });
const app = storage.createStorageDataSource({ databaseUrl: pg.url, poolSize: 10 });
try {
  await storage.migrateStorage(owner);
  await app.initialize();
  const repo = new PostgresMeetingRecordRepository(app);
  const kms = await platform.LocalKms.open({ dir: path.join(stateDir, 'kms') });

  // Warm-up (connections, plans), then the two runs alternately measured twice.
  await writeAll(repo, 'tenant-warm', 'warm');
  const plain1 = await writeAll(repo, 'tenant-plain', 'plain-a');
  const keyring = new platform.MeetingKeyring({ kms, registry: new PostgresDataKeyRepository(app) });
  let unbind = bindContentKeys(keyring);
  const enc1 = await writeAll(repo, 'tenant-enc', 'enc-a');
  unbind();
  const plain2 = await writeAll(repo, 'tenant-plain', 'plain-b');
  unbind = bindContentKeys(keyring);
  const enc2 = await writeAll(repo, 'tenant-enc', 'enc-b');
  unbind();
  const storageKms = keyring.stats();

  // The hot path of one all-in-one process: ingest seals MeetingStarted + audio frames,
  // transcription opens them and seals segments, storage writes them — one keyring.
  const hot = new platform.MeetingKeyring({ kms, registry: new platform.InMemoryKeyRegistry() });
  const protector = new platform.EnvelopePayloadProtector(hot);
  const HOT_MEETINGS = 20;
  for (let m = 0; m < HOT_MEETINGS; m++) {
    const base = { tenantId: 'tenant-hot', meetingId: `hot-${m}`, occurredAtUnixMs: Date.now(), version: 1 };
    for (let f = 0; f < 100; f++) {
      const env = { ...base, id: `a${m}-${f}`, type: platform.Events.AudioFrameReceived.typeName, keyRef: '', payload: Buffer.alloc(640) };
      await protector.open(await protector.seal(env, 'audio'), 'audio');
    }
    for (let s = 0; s < 10; s++) {
      const env = { ...base, id: `s${m}-${s}`, type: platform.Events.SegmentTranscribed.typeName, keyRef: '', payload: Buffer.from(TEXT) };
      await protector.open(await protector.seal(env, 'meeting'), 'meeting');
    }
  }
  const hotStats = hot.stats();

  const plain = { segmentsPerSecond: +((plain1.segmentsPerSecond + plain2.segmentsPerSecond) / 2).toFixed(1), runs: [plain1, plain2] };
  const encrypted = { segmentsPerSecond: +((enc1.segmentsPerSecond + enc2.segmentsPerSecond) / 2).toFixed(1), runs: [enc1, enc2] };
  const result = {
    benchmark: 'crypto',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    storageWrites: {
      plaintext: plain,
      encrypted,
      encryptedToPlaintextRatio: +(encrypted.segmentsPerSecond / plain.segmentsPerSecond).toFixed(3),
      kmsCallsPerMeeting: +(storageKms.kmsCalls / (2 * MEETINGS)).toFixed(2),
    },
    hotPath: {
      meetings: HOT_MEETINGS,
      audioFramesPerMeeting: 100,
      segmentsPerMeeting: 10,
      kmsCalls: hotStats.kmsCalls,
      kmsCallsPerMeeting: +(hotStats.kmsCalls / HOT_MEETINGS).toFixed(2),
      target: '<= 2',
    },
  };
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, 'bench/results/crypto.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    [
      `storage writes (${SEGMENTS} segments, ${MEETINGS} meetings, ${CONCURRENCY} writers):`,
      `  plaintext  ${plain.segmentsPerSecond} segments/s`,
      `  encrypted  ${encrypted.segmentsPerSecond} segments/s   ratio ${result.storageWrites.encryptedToPlaintextRatio}`,
      `  KMS calls per meeting (storage): ${result.storageWrites.kmsCallsPerMeeting}`,
      `hot path (seal+open ${HOT_MEETINGS} meetings x 100 audio frames + 10 segments, one keyring): ${result.hotPath.kmsCallsPerMeeting} KMS calls per meeting (target <= 2)`,
      `written bench/results/crypto.json`,
      '',
    ].join('\n'),
  );
} finally {
  if (app.isInitialized) await app.destroy();
  if (owner.isInitialized) await owner.destroy();
  await pg.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
