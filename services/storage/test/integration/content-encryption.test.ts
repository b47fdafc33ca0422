import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptionFailedError, LocalKms, MeetingKeyring, MeetingKeyErasedError } from '@confide/platform';
import type { DataSource } from 'typeorm';
import { bindContentKeys, CIPHERTEXT_PREFIX } from '../../src/adapters/postgres/content.codec';
import { PostgresDataKeyRepository } from '../../src/adapters/postgres/data-key.repository';
import { createStorageDataSource, migrateStorage } from '../../src/adapters/postgres/data-source';
import { PostgresMeetingQueryRepository } from '../../src/adapters/postgres/meeting-query.repository';
import { PostgresMeetingRecordRepository } from '../../src/adapters/postgres/meeting-record.repository';
import { DB_START_TIMEOUT_MS, startTestDatabase, type TestDatabase } from './support/embedded-db';
import { alert, report, segment } from './support/records';

const T = 'tenant-enc';
const SEEN = 1_700_000_000_000;

let db: TestDatabase;
let kmsDir: string;
let dataSource: DataSource;
let owner: DataSource;
let keys: PostgresDataKeyRepository;
let keyring: MeetingKeyring;
let records: PostgresMeetingRecordRepository;
let queries: PostgresMeetingQueryRepository;
let unbind: () => void;

beforeAll(async () => {
  db = await startTestDatabase();
  kmsDir = await mkdtemp(join(tmpdir(), 'confide-kms-it-'));
  owner = createStorageDataSource({ databaseUrl: db.pg.migrationUrl, poolSize: 2 });
  await migrateStorage(owner);
  dataSource = createStorageDataSource({ databaseUrl: db.pg.url, poolSize: 4 });
  await dataSource.initialize();
  keys = new PostgresDataKeyRepository(dataSource);
  keyring = new MeetingKeyring({ kms: await LocalKms.open({ dir: kmsDir }), registry: keys });
  unbind = bindContentKeys(keyring);
  records = new PostgresMeetingRecordRepository(dataSource);
  queries = new PostgresMeetingQueryRepository(dataSource);
}, DB_START_TIMEOUT_MS);

afterAll(async () => {
  unbind?.();
  if (dataSource?.isInitialized) await dataSource.destroy();
  if (owner?.isInitialized) await owner.destroy();
  await db?.dispose();
  if (kmsDir) await rm(kmsDir, { recursive: true, force: true });
}, DB_START_TIMEOUT_MS);

describe('key registry (data_keys)', () => {
  it('keeps the first wrapped key, destroys it to a tombstone, and confines it to its tenant', async () => {
    const first = { keyName: 'confide-tenant-x', wrapped: 'local:v1:AAAA', keyVersion: 1 };
    expect(await keys.putIfAbsent('tenant-x', 'm1', 'audio', first)).toEqual({ state: 'active', ...first });
    expect(await keys.putIfAbsent('tenant-x', 'm1', 'audio', { ...first, wrapped: 'local:v1:BBBB' })).toEqual({ state: 'active', ...first });
    expect(await keys.get('tenant-x', 'm1', 'meeting')).toBeUndefined();
    expect(await keys.get('tenant-y', 'm1', 'audio')).toBeUndefined(); // RLS + filter: another tenant sees nothing
    expect(await keys.destroy('tenant-x', 'm1', 'audio')).toBe(true);
    expect(await keys.destroy('tenant-x', 'm1', 'audio')).toBe(false);
    expect(await keys.get('tenant-x', 'm1', 'audio')).toEqual({ state: 'erased' });
    expect(await keys.putIfAbsent('tenant-x', 'm1', 'audio', first)).toEqual({ state: 'erased' });
    const rows: Array<{ wrapped: string | null; destroyed_at: Date | null }> = await owner.query(
      `SELECT wrapped, destroyed_at FROM data_keys WHERE tenant_id = 'tenant-x' AND meeting_id = 'm1' AND purpose = 'audio'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.wrapped).toBeNull();
    expect(rows[0]!.destroyed_at).toBeInstanceOf(Date);
  });
});

describe('content columns', () => {
  it('hold only ciphertext; reads through the repository decrypt', async () => {
    await records.recordMeetingStarted({ tenantId: T, meetingId: 'm-enc', title: 'Secret merger', participants: [{ id: 'p1', speakerLabel: 'Alice' }], startedAtMs: SEEN } as never);
    await records.recordFinalSegment(segment({ tenantId: T, meetingId: 'm-enc', sequence: 1, text: 'purple elephant seventeen', speakerLabel: 'Alice' }), SEEN);
    await records.recordAlert(alert({ tenantId: T, meetingId: 'm-enc', segmentId: `m-enc:mixed:1`, message: 'confidential pricing' }), SEEN);
    await records.recordReport(report({ tenantId: T, meetingId: 'm-enc', summary: 'they agreed on the merger' }), SEEN);

    const raw: Array<{ text: string; speaker_label: string }> = await owner.query(`SELECT text, speaker_label FROM segments WHERE tenant_id = $1`, [T]);
    expect(raw[0]!.text.startsWith(CIPHERTEXT_PREFIX)).toBe(true);
    expect(raw[0]!.speaker_label).toBe('');
    const dump = JSON.stringify([
      raw,
      await owner.query(`SELECT title, participants FROM meetings WHERE tenant_id = $1`, [T]),
      await owner.query(`SELECT message, speaker_label FROM alerts WHERE tenant_id = $1`, [T]),
      await owner.query(`SELECT summary, action_items, decisions FROM reports WHERE tenant_id = $1`, [T]),
    ]);
    for (const word of ['purple', 'elephant', 'Alice', 'Secret', 'confidential', 'merger']) expect(dump).not.toContain(word);

    const transcript = await queries.getTranscript({ tenantId: T, meetingId: 'm-enc' });
    expect(transcript!.map((s) => [s.text, s.speakerLabel])).toEqual([['purple elephant seventeen', 'Alice']]);
    expect((await queries.getMeeting({ tenantId: T, meetingId: 'm-enc' }))!.title).toBe('Secret merger');
    expect((await queries.listAlerts({ tenantId: T, meetingId: 'm-enc' }))![0]!.message).toBe('confidential pricing');
    expect((await queries.getReport({ tenantId: T, meetingId: 'm-enc' }))!.summary).toBe('they agreed on the merger');
  });

  it('binds each ciphertext to its row: swapping the encrypted text of two rows makes both fail to decrypt', async () => {
    await records.recordFinalSegment(segment({ tenantId: T, meetingId: 'm-swap', sequence: 1, text: 'first secret' }), SEEN);
    await records.recordFinalSegment(segment({ tenantId: T, meetingId: 'm-swap', sequence: 2, text: 'second secret' }), SEEN);
    expect((await queries.getTranscript({ tenantId: T, meetingId: 'm-swap' }))!.map((s) => s.text)).toEqual(['first secret', 'second secret']);
    // As the owner role (bypassing the application): swap the ciphertexts of the two rows.
    await owner.query(
      `UPDATE segments AS s SET text = o.text
         FROM segments AS o
        WHERE s.tenant_id = $1 AND o.tenant_id = $1 AND s.meeting_id = 'm-swap' AND o.meeting_id = 'm-swap' AND s.segment_id <> o.segment_id`,
      [T],
    );
    const swapped: Array<{ text: string }> = await owner.query(`SELECT text FROM segments WHERE tenant_id = $1 AND meeting_id = 'm-swap' ORDER BY sequence`, [T]);
    expect(swapped.every((r) => r.text.startsWith(CIPHERTEXT_PREFIX))).toBe(true);
    await expect(queries.getTranscript({ tenantId: T, meetingId: 'm-swap' })).rejects.toBeInstanceOf(DecryptionFailedError);
    // Each row fails on its own: keep one, then the other.
    const both: Array<{ segment_id: string; text: string }> = await owner.query(
      `SELECT segment_id, text FROM segments WHERE tenant_id = $1 AND meeting_id = 'm-swap' ORDER BY sequence`,
      [T],
    );
    for (const keep of both) {
      await owner.query(`DELETE FROM segments WHERE tenant_id = $1 AND meeting_id = 'm-swap'`, [T]);
      await owner.query(
        `INSERT INTO segments (tenant_id, segment_id, meeting_id, track_id, speaker_label, text, start_ms, end_ms, confidence, sequence)
         VALUES ($1, $2, 'm-swap', 'p1', '', $3, 0, 1, 0.9, 1)`,
        [T, keep.segment_id, keep.text],
      );
      await expect(queries.getTranscript({ tenantId: T, meetingId: 'm-swap' })).rejects.toBeInstanceOf(DecryptionFailedError);
    }
  });

  it('a ciphertext moved to another meeting does not decrypt there', async () => {
    await records.recordFinalSegment(segment({ tenantId: T, meetingId: 'm-src', sequence: 1, text: 'moved secret' }), SEEN);
    await records.recordFinalSegment(segment({ tenantId: T, meetingId: 'm-dst', sequence: 1, text: 'own text' }), SEEN);
    await owner.query(
      `UPDATE segments SET text = (SELECT text FROM segments WHERE tenant_id = $1 AND meeting_id = 'm-src') WHERE tenant_id = $1 AND meeting_id = 'm-dst'`,
      [T],
    );
    await expect(queries.getTranscript({ tenantId: T, meetingId: 'm-dst' })).rejects.toBeInstanceOf(DecryptionFailedError);
  });

  it('once the meeting key is destroyed its content cannot be read', async () => {
    await records.recordFinalSegment(segment({ tenantId: T, meetingId: 'm-shred', sequence: 1, text: 'shredded secret' }), SEEN);
    await keyring.destroy(T, 'm-shred', 'meeting');
    await expect(queries.getTranscript({ tenantId: T, meetingId: 'm-shred' })).rejects.toBeInstanceOf(MeetingKeyErasedError);
  });
});
