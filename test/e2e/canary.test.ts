import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Envelope } from '@confide/contracts';
import { startAllInOne, streamMeetingAudio, type RunningPlatform } from '@confide/cli';
import {
  EnvelopePayloadProtector,
  LocalKms,
  MeetingKeyring,
  Topics,
  createLogger,
  type Subscription,
} from '@confide/platform';
import { PostgresDataKeyRepository, createStorageDataSource, migrateStorage, startEmbeddedPostgres, type EmbeddedPostgres } from '@confide/storage-service';
import { synthesize } from '@confide/testing';

/**
 * The canary (ARCHITECTURE.md promises 2 and 3, docs/adr/0010-key-hierarchy.md): a unique phrase
 * spoken into a meeting comes back through the API, yet appears nowhere in PostgreSQL's files
 * nor in the records on the bus; and once transcription completed, the audio records still on
 * the audio topic cannot be decrypted by anyone (the audio key is destroyed).
 */
const PHRASE = 'purple elephant seventeen';
const SCRIPT = `the secret code word is ${PHRASE}`;
const PHRASE_WORDS = PHRASE.split(' ');
const LONG_WORDS = PHRASE_WORDS.filter((w) => w.length > 5);

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** The files under `dir` that contain `word` (UTF-8), as paths relative to `dir`. */
function filesContaining(dir: string, word: string): string[] {
  const needle = Buffer.from(word, 'utf8');
  return filesUnder(dir).filter((f) => statSync(f).size > 0 && readFileSync(f).includes(needle)).map((f) => path.relative(dir, f));
}

describe('canary: a spoken phrase is readable through the API and nowhere at rest', () => {
  let platform: RunningPlatform;
  let stateDir: string;
  let dbDir: string;
  let pg: EmbeddedPostgres;
  const raw: { audio: Buffer[]; transcript: Buffer[] } = { audio: [], transcript: [] };
  const subscriptions: Subscription[] = [];

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'confide-canary-'));
    dbDir = mkdtempSync(path.join(os.tmpdir(), 'confide-canary-db-'));
    pg = await startEmbeddedPostgres({ stateDir: dbDir });
    // Migrated as the owner here; the platform serves as the application role (DATABASE_URL).
    const owner = createStorageDataSource({ databaseUrl: pg.migrationUrl, poolSize: 2 });
    try {
      await migrateStorage(owner);
    } finally {
      if (owner.isInitialized) await owner.destroy();
    }
    platform = await startAllInOne({
      GRPC_ADDR: '127.0.0.1:0',
      GATEWAY_HTTP_ADDR: '127.0.0.1:0',
      STATE_DIR: stateDir,
      DATABASE_URL: pg.url,
      MIGRATION_DATABASE_URL: pg.migrationUrl,
      LOG_LEVEL: 'silent',
    });
    // Raw readers on the bus under the encryption: they see what Kafka would store.
    subscriptions.push(
      await platform.rawBus.subscribe({ groupId: 'canary-audio', topics: [Topics.audio], handler: async (m) => void raw.audio.push(m.value) }),
      await platform.rawBus.subscribe({ groupId: 'canary-transcript', topics: [Topics.transcript], handler: async (m) => void raw.transcript.push(m.value) }),
    );
  }, 180_000);

  afterAll(async () => {
    for (const s of subscriptions) await s.close();
    await platform?.stop();
    await pg?.stop();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(dbDir, { recursive: true, force: true });
  }, 60_000);

  it('stores the phrase only encrypted, and shreds the audio once transcription completes', async () => {
    const tenantId = 'tenant-canary';
    const meetingId = `m-${randomUUID()}`;
    const result = await streamMeetingAudio({
      address: platform.grpcAddress,
      token: await platform.mintToken({ tenant: tenantId, user: 'canary-member', roles: ['member'] }),
      tenantId,
      meetingId,
      title: 'canary',
      participants: [{ id: 'alice', speakerLabel: 'Alice' }],
      tracks: new Map([['alice', await synthesize(SCRIPT, 'slt')]]),
      realtime: false,
    });
    expect(result.completed?.finalSegmentCount).toBeGreaterThan(0);

    // 1. The phrase comes back through the API (WER-tolerant: most of its words).
    const token = await platform.mintToken({ tenant: tenantId, user: 'canary-admin', roles: ['admin'] });
    const headers = { Authorization: `Bearer ${token}` };
    const deadline = Date.now() + 30_000;
    let text = '';
    while (Date.now() < deadline) {
      const res = await fetch(`${platform.httpBaseUrl}/api/meetings/${meetingId}/transcript`, { headers });
      if (res.status === 200) {
        const body = (await res.json()) as { segments: Array<{ text: string }> };
        if (body.segments.length === result.finals.length) {
          text = body.segments.map((s) => s.text).join(' ');
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const heard = PHRASE_WORDS.filter((w) => text.split(/\s+/).includes(w));
    expect(heard.length).toBeGreaterThanOrEqual(2);

    // 2. Nowhere in PostgreSQL's files (heap, WAL, ...), once everything is flushed.
    const superuser = createStorageDataSource({ databaseUrl: pg.migrationUrl, poolSize: 1 });
    await superuser.initialize();
    try {
      await superuser.query('CHECKPOINT');
      await superuser.query('SELECT pg_switch_wal()');
    } finally {
      await superuser.destroy();
    }
    // The scan itself works: the meeting id (stored in clear) is found.
    expect(filesContaining(pg.dataDir, meetingId).length).toBeGreaterThan(0);
    for (const word of LONG_WORDS) expect({ word, files: filesContaining(pg.dataDir, word) }).toEqual({ word, files: [] });

    // 3. Nor in the records on the bus.
    expect(raw.transcript.length).toBeGreaterThan(0);
    expect(raw.audio.length).toBeGreaterThan(0);
    for (const value of [...raw.transcript, ...raw.audio]) {
      for (const word of [...LONG_WORDS, 'Alice']) expect(value.includes(Buffer.from(word, 'utf8'))).toBe(false);
    }

    // 4. The audio key is destroyed: the audio records still on the topic cannot be decrypted.
    // The registry's table read as the application role (under RLS): KeyRegistryService's RPCs
    // are for the platform's own service identity only (ADR 0009).
    const keysDb = createStorageDataSource({ databaseUrl: pg.url, poolSize: 1 });
    await keysDb.initialize();
    const registry = new PostgresDataKeyRepository(keysDb);
    try {
      const destroyedBy = Date.now() + 15_000;
      while ((await registry.get(tenantId, meetingId, 'audio'))?.state !== 'erased' && Date.now() < destroyedBy) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await registry.get(tenantId, meetingId, 'audio')).toEqual({ state: 'erased' });
      expect((await registry.get(tenantId, meetingId, 'meeting'))?.state).toBe('active');
      const kms = await LocalKms.open({ dir: path.join(stateDir, 'kms'), logger: createLogger({ service: 'canary', level: 'silent' }) });
      const protector = new EnvelopePayloadProtector(new MeetingKeyring({ kms, registry, provisionTenantKeys: false }));
      const audio = raw.audio.map((v) => Envelope.decode(v)).filter((e) => e.meetingId === meetingId);
      expect(audio.length).toBeGreaterThan(0);
      for (const envelope of audio) {
        expect(envelope.keyRef).toBe('audio-dek');
        await expect(protector.open(envelope, 'audio')).resolves.toEqual({ outcome: 'dropped', reason: 'key-destroyed' });
      }
      // While the transcript records still open with the meeting key.
      const transcript = raw.transcript.map((v) => Envelope.decode(v)).filter((e) => e.meetingId === meetingId);
      await expect(protector.open(transcript[0]!, 'meeting')).resolves.toMatchObject({ outcome: 'open' });
    } finally {
      await keysDb.destroy();
    }
  }, 240_000);
});
