// Step 2 of the restore procedure (docs/adr/0013-restore.md, scripts/db/restore.sh): re-applies to
// a restored database every erasure recorded outside it — tenant keys gone from the KMS, the
// MeetingErased journal on Kafka (confide.lifecycle.v1, retained forever), exported deletion
// certificates / tombstone lines (--journal). Idempotent; run it again after any failure.
//
// Usage: node scripts/db/reapply-erasures.mjs [--journal <file.jsonl>]... [--no-kafka] [--dry-run]
//                                             [--accept-truncated-journal] [--kafka-timeout-ms N]
// Environment: DATABASE_URL (the application role: every statement runs under RLS in one tenant's
// scope), KAFKA_BROKERS (unless --no-kafka), the KMS variables of the services (KMS, VAULT_ADDR,
// VAULT_TOKEN_FILE, VAULT_TRANSIT_MOUNT, VAULT_CA_FILE, VAULT_NAMESPACE, VAULT_TIMEOUT, KMS_LOCAL_DIR),
// SIGNING_KEY_NAME (default: the platform's), LOG_LEVEL. Prints a JSON report (ids never, counts only).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const load = createRequire(path.join(root, 'packages/platform/package.json'));
const platform = load(path.join(root, 'packages/platform/dist/index.js'));
const { z } = load('zod');
const { Kafka, logLevel } = load('kafkajs');
const storage = load(path.join(root, 'services/storage/dist/index.js'));
const { PostgresMeetingRecordRepository } = load(path.join(root, 'services/storage/dist/adapters/postgres/meeting-record.repository.js'));
const { PostgresMeetingMaintenanceRepository } = load(path.join(root, 'services/storage/dist/adapters/postgres/meeting-maintenance.repository.js'));
const { PostgresDataKeyRepository } = load(path.join(root, 'services/storage/dist/adapters/postgres/data-key.repository.js'));
const { ReapplyErasures } = load(path.join(root, 'services/lifecycle/dist/use-cases/reapply-erasures.use-case.js'));

const args = process.argv.slice(2);
const journalFiles = [];
let useKafka = true;
let dryRun = false;
let acceptTruncated = false;
let kafkaTimeoutMs = 60_000;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--journal') journalFiles.push(args[++i]);
  else if (a === '--no-kafka') useKafka = false;
  else if (a === '--dry-run') dryRun = true;
  else if (a === '--accept-truncated-journal') acceptTruncated = true;
  else if (a === '--kafka-timeout-ms') kafkaTimeoutMs = Number(args[++i]);
  else {
    process.stderr.write(`unknown argument ${a}\n`);
    process.exit(2);
  }
}

const logger = platform.createLogger({ service: 'db-restore', level: process.env.LOG_LEVEL ?? 'info' });
const fail = (message) => {
  process.stderr.write(`reapply-erasures: ${message}\n`);
  process.exit(1);
};
if (!process.env.DATABASE_URL) fail('DATABASE_URL (the application role) is required');
if (useKafka && !process.env.KAFKA_BROKERS) fail('KAFKA_BROKERS is required (or --no-kafka with --journal files that hold every erasure since the dump)');
if (!useKafka && journalFiles.length === 0) process.stderr.write('reapply-erasures: warning: no Kafka and no --journal: only tenant erasures (from the KMS) are re-applied\n');

/** Lines of an exported journal: deletion certificates (any subject) or {tenant_id, meeting_id?, user_id?}. */
function readJournalFile(file) {
  const entries = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, n) => {
    if (!line.trim()) return;
    let doc;
    try {
      doc = JSON.parse(line);
    } catch {
      fail(`${file}:${n + 1} is not JSON`);
    }
    const tenantId = doc.tenant_id;
    if (typeof tenantId !== 'string' || !tenantId) fail(`${file}:${n + 1} has no tenant_id`);
    const subject = doc.type === 'confide.deletion-certificate' ? doc.subject ?? {} : { kind: doc.meeting_id ? 'meeting' : doc.user_id ? 'user' : 'tenant', meeting_id: doc.meeting_id, user_id: doc.user_id };
    if (subject.kind === 'meeting' && subject.meeting_id) entries.push({ kind: 'meeting', tenantId, meetingId: subject.meeting_id });
    else if (subject.kind === 'user' && subject.user_id) entries.push({ kind: 'user', tenantId, userId: subject.user_id });
    else if (subject.kind === 'tenant') entries.push({ kind: 'tenant', tenantId });
    else fail(`${file}:${n + 1}: unknown subject`);
  });
  return entries;
}

/** Every MeetingErased and UserDataErased event of confide.lifecycle.v1, from the first offset to the end as of now. */
async function readKafkaJournal() {
  const topic = platform.Topics.lifecycle;
  const kafka = new Kafka({ clientId: 'confide-db-restore', brokers: process.env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `confide-db-restore-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId });
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist: no erasure journal to re-apply`);
    const offsets = await admin.fetchTopicOffsets(topic);
    const truncated = offsets.filter((p) => BigInt(p.low) > 0n);
    if (truncated.length > 0 && !acceptTruncated) {
      throw new Error(
        `${topic} has lost its oldest records (retention): erasures older than that cannot be re-applied from it. ` +
          'Set the topic to retention.ms=-1 (scripts/infra/topics.json) and re-run with --journal <exported certificates> and --accept-truncated-journal',
      );
    }
    const remaining = new Map(offsets.filter((p) => BigInt(p.high ?? p.offset) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high ?? p.offset)]));
    const entries = [];
    if (remaining.size === 0) return entries;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} took longer than ${kafkaTimeoutMs} ms`)), kafkaTimeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const end = remaining.get(partition);
            if (end === undefined) return;
            const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v === undefined ? '' : String(v)]));
            const { envelope, typeName } = platform.decodeEvent({ topic, partition, offset: message.offset, key: String(message.key ?? ''), value: message.value, headers });
            if (typeName === platform.Events.MeetingErased.typeName) {
              if (envelope.keyRef) throw new Error('a MeetingErased payload is encrypted: the journal must hold ids in the clear');
              const e = platform.Events.MeetingErased.decode(envelope.payload);
              if (e.tenantId && e.meetingId) entries.push({ kind: 'meeting', tenantId: e.tenantId, meetingId: e.meetingId });
            } else if (typeName === platform.Events.UserDataErased.typeName) {
              if (envelope.keyRef) throw new Error('a UserDataErased payload is encrypted: the journal must hold ids in the clear');
              const e = platform.Events.UserDataErased.decode(envelope.payload);
              if (e.tenantId && e.userId) entries.push({ kind: 'user', tenantId: e.tenantId, userId: e.userId });
            }
            if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return entries;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

const kmsConfig = z.object(platform.kmsEnvShape).parse(process.env);
const kms = await platform.createKmsFromConfig(kmsConfig, logger);
const app = storage.createStorageDataSource({ databaseUrl: process.env.DATABASE_URL, poolSize: 4 });
await app.initialize();
try {
  const records = new PostgresMeetingRecordRepository(app);
  const maintenance = new PostgresMeetingMaintenanceRepository(app);
  const registry = new PostgresDataKeyRepository(app);
  const scoped = new storage.TenantScopedDatabase(app);
  const db = {
    listTenants: (after, limit) => maintenance.listTenants(after, limit),
    activeMeetingKey: (tenantId) =>
      scoped.withTenant(tenantId, async (m) => {
        const rows = await m.query(
          `SELECT meeting_id, key_name, wrapped FROM data_keys
            WHERE tenant_id = $1 AND purpose = 'meeting' AND wrapped IS NOT NULL ORDER BY meeting_id LIMIT 1`,
          [tenantId],
        );
        return rows[0] ? { meetingId: rows[0].meeting_id, keyName: rows[0].key_name, wrapped: rows[0].wrapped } : undefined;
      }),
    destroyMeetingKeys: async (tenantId, meetingId) => {
      let n = 0;
      for (const purpose of ['meeting', 'audio']) if (await registry.destroy(tenantId, meetingId, purpose)) n++;
      return n;
    },
    purgeMeeting: (tenantId, meetingId, atMs) => records.purgeMeeting({ tenantId, meetingId }, atMs),
    purgeTenant: (tenantId, atMs) => maintenance.purgeTenant(tenantId, atMs),
    purgeParticipant: (tenantId, userId) => maintenance.purgeParticipant(tenantId, userId),
  };
  const journal = [];
  for (const file of journalFiles) journal.push(...readJournalFile(file));
  if (useKafka) journal.push(...(await readKafkaJournal()));
  const report = await new ReapplyErasures({
    db,
    kms,
    sanityKeyName: process.env.SIGNING_KEY_NAME ?? platform.SIGNING_KEY_NAME,
    clock: { now: () => Date.now() },
    logger,
  }).execute(journal, { dryRun });
  process.stdout.write(`${JSON.stringify(report)}\n`);
} finally {
  await app.destroy();
}
