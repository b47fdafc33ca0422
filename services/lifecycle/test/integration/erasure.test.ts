import { StorageServiceClient, type GetTranscriptResponse } from '@confide/contracts';
import { SIGNING_KEY_NAME, callUnary, createGrpcClient, tenantKeyName, unavailable, type Clock, type KeyPurpose, createLogger } from '@confide/platform';
import { Client } from 'pg';
import { verifyDeletionCertificate } from '../../src/domain/deletion-certificate';
import { publishedSigningKeys } from '../../src/domain/signing';
import { PostgresRetentionPolicyRepository } from '../../src/adapters/postgres/retention-policy.repository';
import type { ErasedCounts, MeetingStore } from '../../src/ports/meeting-store.port';
import { InMemoryEndedMeetings } from '../../src/adapters/memory/in-memory.ended-meetings';
import { AudioKeyDeadlineSweep, DEFAULT_AUDIO_KEY_MAX_AGE_MS } from '../../src/use-cases/audio-key-deadline-sweep.use-case';
import { DeleteMeeting } from '../../src/use-cases/delete-meeting.use-case';
import { EraseTenant } from '../../src/use-cases/erase-tenant.use-case';
import { CERTIFICATE_ISSUED_ACTION, certificateAuditResource, certificateSha256 } from '../../src/use-cases/issue-erasure-certificate.use-case';
import { EraseUserData } from '../../src/use-cases/erase-user-data.use-case';
import { RestoreArchivedMeeting } from '../../src/use-cases/restore-archived-meeting.use-case';
import { RetentionSweep } from '../../src/use-cases/retention-sweep.use-case';
import { DB_START_TIMEOUT_MS, sequentialIds } from './support/lifecycle-db';
import { logger, startErasureStack, type ErasureStack } from './support/erasure-stack';

/** Measured figures of this test (ids, counts and milliseconds only), through the redacting logger. */
const figures = createLogger({ service: 'erasure-test' });

const DAY = 24 * 60 * 60 * 1000;
const SEGMENTS = 400;

let stack: ErasureStack;
let reads: StorageServiceClient;

beforeAll(async () => {
  stack = await startErasureStack();
  reads = createGrpcClient(StorageServiceClient, stack.address);
}, DB_START_TIMEOUT_MS);

afterAll(async () => {
  reads?.close();
  await stack?.dispose();
}, DB_START_TIMEOUT_MS);

const wallClock: Clock = { now: () => Date.now() };

/** A meeting as storage's consumer stores it: started, `segments` finals (encrypted), an alert, ended. */
async function seedMeeting(tenantId: string, meetingId: string, opts: { segments: number; endedAtMs: number; tracks?: string[] }): Promise<void> {
  const tracks = opts.tracks ?? ['p1'];
  await stack.records.recordMeetingStarted({
    tenantId,
    meetingId,
    title: `Board meeting ${meetingId}`,
    participants: tracks.map((id) => ({ id, speakerLabel: `Speaker ${id}` })),
    startedAtMs: opts.endedAtMs - 3_600_000,
  } as Parameters<typeof stack.records.recordMeetingStarted>[0]);
  const seen = opts.endedAtMs;
  for (let i = 1; i <= opts.segments; i++) {
    const trackId = tracks[i % tracks.length]!;
    await stack.records.recordFinalSegment(
      {
        segmentId: `${meetingId}:${trackId}:${i}`,
        meetingId,
        tenantId,
        trackId,
        speakerLabel: `Speaker ${trackId}`,
        text: `confidential sentence number ${i}`,
        startMs: i * 1000,
        endMs: i * 1000 + 900,
        isFinal: true,
        confidence: 0.9,
        sequence: i,
      },
      seen,
    );
  }
  await stack.records.recordAlert(
    {
      alertId: `${meetingId}:alert`,
      meetingId,
      tenantId,
      ruleId: 'phrase.pricing-commitment',
      severity: 2,
      message: 'pricing commitment mentioned',
      segmentId: `${meetingId}:${tracks[1 % tracks.length]}:1`,
      speakerLabel: 'Speaker',
      startMs: 1000,
    },
    seen,
  );
  await stack.records.recordMeetingEnded({ tenantId, meetingId }, opts.endedAtMs, seen);
}

async function transcript(tenantId: string, meetingId: string): Promise<GetTranscriptResponse> {
  return callUnary<object, GetTranscriptResponse>(reads, 'getTranscript', { tenantId, meetingId }, { metadata: await stack.readMetadata(tenantId) });
}

async function asOwner<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: stack.ctx.urls.migrationUrl });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** The `certificate:issued` entries of the tenant's chain (their resources name id and SHA-256). */
async function chainedCertificates(tenantId: string): Promise<string[]> {
  const rows = await asOwner<{ resource: string }>(
    `SELECT resource FROM audit_events WHERE tenant_id = $1 AND action = '${CERTIFICATE_ISSUED_ACTION}' ORDER BY seq`,
    [tenantId],
  );
  return rows.map((r) => r.resource);
}

const publicKeys = async () => publishedSigningKeys(SIGNING_KEY_NAME, await stack.kms.kms.publicKeys(SIGNING_KEY_NAME));

function deleteMeeting(store: MeetingStore = stack.store, keys = stack.keys as { destroy(t: string, m: string, p: KeyPurpose): Promise<boolean> }) {
  return new DeleteMeeting({
    store,
    keys,
    requests: stack.requests,
    erasures: stack.certifier(wallClock),
    events: stack.events,
    audit: stack.audit,
    ended: new InMemoryEndedMeetings(),
    clock: wallClock,
    logger,
    ids: sequentialIds('erasure'),
  });
}

describe('DeleteMeeting on real PostgreSQL: crypto first, physical purge after', () => {
  it('makes the content undecryptable the moment the keys are destroyed, before any row is purged', async () => {
    const tenantId = 'tenant-crypto';
    const meetingId = 'm-probe';
    await seedMeeting(tenantId, meetingId, { segments: 20, endedAtMs: Date.now() - DAY });
    expect((await transcript(tenantId, meetingId)).segments).toHaveLength(20);
    const before = await stack.freshKeyring().get(tenantId, meetingId, 'meeting');
    expect(before).toBeDefined();

    const observed: Array<{ purpose: string; rowsLeft: number; wrappedLeft: number; readerError: string }> = [];
    const probingKeys = {
      destroy: async (t: string, m: string, purpose: KeyPurpose) => {
        const destroyed = await stack.keys.destroy(t, m, purpose);
        if (purpose === 'meeting') {
          const [rows] = await asOwner<{ n: number }>('SELECT count(*)::int AS n FROM segments WHERE tenant_id = $1 AND meeting_id = $2', [t, m]);
          const [keysLeft] = await asOwner<{ n: number }>('SELECT count(*)::int AS n FROM data_keys WHERE tenant_id = $1 AND meeting_id = $2 AND purpose = $3 AND wrapped IS NOT NULL', [t, m, purpose]);
          const readerError = await stack
            .freshKeyring()
            .get(t, m, 'meeting')
            .then(() => 'decrypted', (err: Error) => err.name);
          observed.push({ purpose, rowsLeft: rows!.n, wrappedLeft: keysLeft!.n, readerError });
        }
        return destroyed;
      },
    };

    const result = await deleteMeeting(stack.store, probingKeys).execute({ tenantId, meetingId, requestedBy: 'admin-1', reason: 'customer request' });

    // Right after step (a): every row still there, the wrapped key gone, a fresh reader cannot get the key.
    expect(observed).toEqual([{ purpose: 'meeting', rowsLeft: 20, wrappedLeft: 0, readerError: 'MeetingKeyErasedError' }]);
    expect(result.erased).toEqual({ meetings: 1, segments: 20, alerts: 1, reports: 0 });
    expect(result.cryptoErasedAtMs).toBeLessThanOrEqual(result.erasedAtMs);
    await expect(transcript(tenantId, meetingId)).rejects.toMatchObject({ code: 5 }); // NOT_FOUND
    expect(await asOwner('SELECT purpose FROM data_keys WHERE tenant_id = $1 AND meeting_id = $2 AND wrapped IS NULL ORDER BY purpose', [tenantId, meetingId])).toEqual([
      { purpose: 'audio' },
      { purpose: 'meeting' },
    ]);
  });

  it(`erases a meeting with ${SEGMENTS} segments well under a second, with a certificate that verifies offline; a retry yields the same certificate`, async () => {
    const tenantId = 'tenant-timed';
    const meetingId = 'm-big';
    await seedMeeting(tenantId, meetingId, { segments: SEGMENTS, endedAtMs: Date.now() - DAY });
    // The meeting has an audio key too (transcription never destroyed it).
    const keyring = stack.freshKeyring();
    await keyring.getOrCreate(tenantId, meetingId, 'audio');
    const useCase = deleteMeeting();

    const startedAtMs = Date.now();
    const started = process.hrtime.bigint();
    const result = await useCase.execute({ tenantId, meetingId, requestedBy: 'admin-1', reason: 'customer request' });
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    // Measured, not asserted (machine-dependent): crypto-erasure, purge, signed certificate, event.
    figures.info({ segments: SEGMENTS, totalMs: +elapsedMs.toFixed(1), keysDestroyedAfterMs: result.cryptoErasedAtMs! - startedAtMs }, 'erasure of a meeting');

    expect(result.erased).toEqual({ meetings: 1, segments: SEGMENTS, alerts: 1, reports: 0 });
    const document = await stack.certificates.getDocument(tenantId, result.certificateId!);
    expect(document).toBeDefined();
    const cert = JSON.parse(document!) as Record<string, unknown>;
    expect(cert).toMatchObject({
      type: 'confide.deletion-certificate',
      certificate_id: result.certificateId,
      tenant_id: tenantId,
      subject: { kind: 'meeting', meeting_id: meetingId },
      erased: { meetings: 1, segments: SEGMENTS, alerts: 1, reports: 0 },
      requested_by: 'admin-1',
      reason: 'customer request',
      crypto_erased_at: new Date(result.cryptoErasedAtMs!).toISOString(),
    });
    expect(verifyDeletionCertificate(document!, await publicKeys())).toMatchObject({ ok: true, signature: 'valid' });
    const tampered = document!.replace(`"segments":${SEGMENTS}`, `"segments":${SEGMENTS - 1}`);
    expect(verifyDeletionCertificate(tampered, await publicKeys()).ok).toBe(false);

    const again = await useCase.execute({ tenantId, meetingId, requestedBy: 'admin-1', reason: 'customer request' });
    expect(again).toEqual(result);
    expect(await asOwner('SELECT certificate_id FROM deletion_certificates WHERE tenant_id = $1', [tenantId])).toEqual([{ certificate_id: result.certificateId }]);
    expect(await asOwner('SELECT outcome FROM erasure_requests WHERE tenant_id = $1', [tenantId])).toEqual([{ outcome: 'completed' }]);
  });

  it('resumes after the purge failed: the retry completes with one certificate (the outbox in PostgreSQL)', async () => {
    const tenantId = 'tenant-retry';
    const meetingId = 'm-retry';
    await seedMeeting(tenantId, meetingId, { segments: 5, endedAtMs: Date.now() - DAY });
    let fail = true;
    const flaky: MeetingStore = {
      purgeMeeting: async (ref): Promise<ErasedCounts> => {
        if (fail) {
          fail = false;
          throw unavailable('storage unavailable');
        }
        return stack.store.purgeMeeting(ref);
      },
    };
    const useCase = deleteMeeting(flaky);
    await expect(useCase.execute({ tenantId, meetingId, requestedBy: 'admin-1' })).rejects.toMatchObject({ kind: 'unavailable' });
    // Crypto-erased already; rows still there until the retry.
    expect(await asOwner('SELECT outcome, crypto_erased_at_ms IS NOT NULL AS crypto, purged_at_ms IS NULL AS unpurged FROM erasure_requests WHERE tenant_id = $1', [tenantId])).toEqual([
      { outcome: 'pending', crypto: true, unpurged: true },
    ]);
    const result = await useCase.execute({ tenantId, meetingId, requestedBy: 'admin-1' });
    expect(result.erased.segments).toBe(5);
    expect(await asOwner('SELECT count(*)::int AS n FROM deletion_certificates WHERE tenant_id = $1', [tenantId])).toEqual([{ n: 1 }]);
    await expect(deleteMeeting().execute({ tenantId, meetingId: 'never-existed', requestedBy: 'admin-1' })).rejects.toMatchObject({ kind: 'not-found' });
  });
});

describe('EraseTenant and EraseUserData on real PostgreSQL', () => {
  it('destroys the tenant key (nothing of the tenant decrypts any more), purges only its rows, certifies', async () => {
    const tenantId = 'tenant-gone';
    await seedMeeting(tenantId, 'm-1', { segments: 30, endedAtMs: Date.now() - DAY });
    await seedMeeting(tenantId, 'm-2', { segments: 30, endedAtMs: Date.now() - DAY });
    await seedMeeting('tenant-stays', 'm-1', { segments: 3, endedAtMs: Date.now() - DAY });
    const useCase = new EraseTenant({
      kms: {
        destroyKey: async (name) => {
          await stack.kms.kms.destroyKey(name);
          // Right after the crypto-erasure, before any purge: no reader can unwrap the tenant's data keys.
          const err = await stack.freshKeyring().get(tenantId, 'm-1', 'meeting').then(() => 'decrypted', (e: Error) => e.name);
          expect(err).not.toBe('decrypted');
          expect((await asOwner<{ n: number }>('SELECT count(*)::int AS n FROM segments WHERE tenant_id = $1', [tenantId]))[0]!.n).toBe(60);
        },
      },
      storage: stack.maintenance,
      requests: stack.requests,
      erasures: stack.certifier(wallClock),
      audit: stack.audit,
      clock: wallClock,
      logger,
      ids: sequentialIds('tenant-erasure'),
    });
    const started = process.hrtime.bigint();
    const result = await useCase.execute({ tenantId, requestedBy: 'owner-1', reason: 'offboarding' });
    figures.info({ meetings: 2, segments: 60, totalMs: +(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1) }, 'tenant erasure');

    expect(result.erased).toMatchObject({ meetings: 2, segments: 60, alerts: 2 });
    expect(result.erased.data_keys).toBeGreaterThanOrEqual(2);
    expect(await asOwner('SELECT count(*)::int AS n FROM segments WHERE tenant_id = $1', [tenantId])).toEqual([{ n: 0 }]);
    expect(await asOwner('SELECT count(*)::int AS n FROM data_keys WHERE tenant_id = $1 AND wrapped IS NOT NULL', [tenantId])).toEqual([{ n: 0 }]);
    expect(await asOwner('SELECT tenant_id FROM erased_tenants')).toEqual([{ tenant_id: tenantId }]);
    expect((await transcript('tenant-stays', 'm-1')).segments).toHaveLength(3);
    await expect(stack.kms.kms.publicKeys(tenantKeyName(tenantId))).rejects.toBeDefined();
    const document = (await stack.certificates.getDocument(tenantId, result.certificateId))!;
    expect(JSON.parse(document)).toMatchObject({ subject: { kind: 'tenant' }, method: { destroyed_keys: [`kms:${tenantKeyName(tenantId)}`] } });
    expect(verifyDeletionCertificate(document, await publicKeys()).ok).toBe(true);
    // The certificate's hash is in the tenant's chain, in the same erasure flow.
    expect(await chainedCertificates(tenantId)).toEqual([certificateAuditResource(result.certificateId, document)]);
    expect(certificateAuditResource(result.certificateId, document)).toBe(`certificate/${result.certificateId}@sha256:${certificateSha256(document)}`);
    // Idempotent: the same certificate again.
    expect((await useCase.execute({ tenantId, requestedBy: 'owner-1', reason: 'offboarding' })).certificateId).toBe(result.certificateId);
  });

  it('begin() returns once the tenant key is destroyed; the purge completes afterwards, and a retry resumes it', async () => {
    const tenantId = 'tenant-background';
    await seedMeeting(tenantId, 'm-1', { segments: 20, endedAtMs: Date.now() - DAY });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let failOnce = true;
    const useCase = new EraseTenant({
      kms: stack.kms.kms,
      storage: {
        purgeTenant: async (t) => {
          await gate;
          if (failOnce) {
            failOnce = false;
            throw unavailable('storage went away');
          }
          return stack.maintenance.purgeTenant(t);
        },
      },
      requests: stack.requests,
      erasures: stack.certifier(wallClock),
      audit: stack.audit,
      clock: wallClock,
      logger,
      ids: sequentialIds('tenant-bg'),
    });
    const started = await useCase.begin({ tenantId, requestedBy: 'owner-1', reason: 'offboarding' });
    // Crypto-erased, rows still there: unreadable already.
    expect(started.cryptoErasedAtMs).toBeGreaterThan(0);
    await expect(stack.kms.kms.publicKeys(tenantKeyName(tenantId))).rejects.toBeDefined();
    expect((await asOwner<{ n: number }>('SELECT count(*)::int AS n FROM segments WHERE tenant_id = $1', [tenantId]))[0]!.n).toBe(20);
    release();
    await expect(started.completion).rejects.toMatchObject({ kind: 'unavailable' });
    // The retry resumes the same erasure from the outbox (the key stays destroyed, the purge runs).
    const resumed = await useCase.begin({ tenantId, requestedBy: 'owner-1', reason: 'offboarding' });
    expect(resumed).toMatchObject({ erasureId: started.erasureId, cryptoErasedAtMs: started.cryptoErasedAtMs });
    const done = await resumed.completion;
    expect(done).toMatchObject({ erasureId: started.erasureId, certificateId: started.erasureId, erased: { segments: 20 } });
    expect(await asOwner('SELECT count(*)::int AS n FROM segments WHERE tenant_id = $1', [tenantId])).toEqual([{ n: 0 }]);
    const document = (await stack.certificates.getDocument(tenantId, done.certificateId))!;
    expect(verifyDeletionCertificate(document, await publicKeys()).ok).toBe(true);
    expect(await chainedCertificates(tenantId)).toEqual([certificateAuditResource(done.certificateId, document)]);
  });

  it("purges a user's own transcript track in every meeting of the tenant, certified", async () => {
    const tenantId = 'tenant-users';
    await seedMeeting(tenantId, 'm-1', { segments: 10, endedAtMs: Date.now() - DAY, tracks: ['alice', 'bob'] });
    await seedMeeting(tenantId, 'm-2', { segments: 4, endedAtMs: Date.now() - DAY, tracks: ['alice'] });
    const result = await new EraseUserData({
      storage: stack.maintenance,
      requests: stack.requests,
      erasures: stack.certifier(wallClock),
      audit: stack.audit,
      clock: wallClock,
      logger,
      ids: sequentialIds('user-erasure'),
    }).execute({ tenantId, userId: 'alice', requestedBy: 'alice', reason: 'GDPR art. 17' });
    expect(result).toMatchObject({ meetingsAffected: 2, segments: 9 });
    expect((await transcript(tenantId, 'm-1')).segments.map((s) => s.trackId)).toEqual(['bob', 'bob', 'bob', 'bob', 'bob']);
    expect((await transcript(tenantId, 'm-2')).segments).toEqual([]);
    const document = (await stack.certificates.getDocument(tenantId, result.certificateId))!;
    expect(JSON.parse(document)).toMatchObject({ subject: { kind: 'user', user_id: 'alice' }, crypto_erased_at: null });
    expect(verifyDeletionCertificate(document, await publicKeys()).ok).toBe(true);
    expect(await chainedCertificates(tenantId)).toEqual([certificateAuditResource(result.certificateId, document)]);
  });
});

describe('retention and the audio-key deadline on real PostgreSQL (injected clock)', () => {
  const NOW = Date.UTC(2027, 0, 15);
  const clock = { now: () => NOW };

  it('archives and erases what is past each tenant policy, leaves younger data, restores archived meetings on request', async () => {
    const policies = new PostgresRetentionPolicyRepository(stack.ctx.app);
    await policies.set('ret-archive', { days: 30, action: 'archive' }, { actor: 'admin-1', atMs: NOW - 100 * DAY });
    await seedMeeting('ret-archive', 'old', { segments: 3, endedAtMs: NOW - 31 * DAY });
    await seedMeeting('ret-archive', 'young', { segments: 3, endedAtMs: NOW - 29 * DAY });
    await seedMeeting('ret-delete', 'old', { segments: 3, endedAtMs: NOW - 91 * DAY }); // default: 90 days, delete
    await seedMeeting('ret-delete', 'young', { segments: 3, endedAtMs: NOW - 89 * DAY });
    const eraser = new DeleteMeeting({
      store: stack.store,
      keys: stack.keys,
      requests: stack.requests,
      erasures: stack.certifier(clock),
      events: stack.events,
      audit: stack.audit,
      ended: new InMemoryEndedMeetings(),
      clock,
      logger,
      ids: sequentialIds('retention'),
    });
    const sweep = new RetentionSweep({ storage: stack.maintenance, policies, eraser, audit: stack.audit, clock, logger });

    const result = await sweep.run();

    // The other tenants of this file ended a day before the real now: younger than 90 days at NOW.
    expect(result).toMatchObject({ archived: 1, deleted: 1, failed: 0 });
    await expect(transcript('ret-archive', 'old')).rejects.toMatchObject({ code: 5 }); // hidden while archived
    expect(await asOwner('SELECT archived_at_ms IS NOT NULL AS archived FROM meetings WHERE tenant_id = $1 ORDER BY meeting_id', ['ret-archive'])).toEqual([
      { archived: true },
      { archived: false },
    ]);
    expect((await transcript('ret-archive', 'young')).segments).toHaveLength(3);
    await expect(transcript('ret-delete', 'old')).rejects.toMatchObject({ code: 5 });
    expect((await transcript('ret-delete', 'young')).segments).toHaveLength(3);
    const certs = await asOwner<{ document: string }>("SELECT document FROM deletion_certificates WHERE tenant_id = 'ret-delete'");
    expect(certs).toHaveLength(1);
    expect(JSON.parse(certs[0]!.document)).toMatchObject({ requested_by: 'system:retention', subject: { meeting_id: 'old' } });
    expect(verifyDeletionCertificate(certs[0]!.document, await publicKeys()).ok).toBe(true);

    await new RestoreArchivedMeeting({ storage: stack.maintenance, audit: stack.audit, clock, logger }).execute({
      tenantId: 'ret-archive',
      meetingId: 'old',
      requestedBy: 'admin-1',
      reason: 'legal hold',
    });
    expect((await transcript('ret-archive', 'old')).segments).toHaveLength(3); // still encrypted at rest, served again
  });

  it('destroys audio keys of meetings that ended more than 72 h ago although transcription never finished', async () => {
    const ENDED = NOW - 3 * DAY - 1;
    await seedMeeting('audio-t', 'stalled', { segments: 1, endedAtMs: ENDED });
    await seedMeeting('audio-t', 'recent', { segments: 1, endedAtMs: NOW - DAY });
    const keyring = stack.freshKeyring();
    await keyring.getOrCreate('audio-t', 'stalled', 'audio');
    await keyring.getOrCreate('audio-t', 'recent', 'audio');
    const sweep = new AudioKeyDeadlineSweep({ storage: stack.maintenance, keys: stack.keys, audit: stack.audit, clock, logger });
    expect(DEFAULT_AUDIO_KEY_MAX_AGE_MS).toBe(72 * 60 * 60 * 1000);

    const result = await sweep.run();

    expect(result.failed).toBe(0);
    expect(result.destroyed).toBeGreaterThanOrEqual(1);
    expect(await stack.registry.get('audio-t', 'stalled', 'audio')).toEqual({ state: 'erased' });
    expect((await stack.registry.get('audio-t', 'recent', 'audio'))?.state).toBe('active');
    expect((await stack.registry.get('audio-t', 'stalled', 'meeting'))?.state).toBe('active'); // the transcript stays readable
    await expect(stack.freshKeyring().get('audio-t', 'stalled', 'audio')).rejects.toMatchObject({ name: 'MeetingKeyErasedError' });
  });
});
