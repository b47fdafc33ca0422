import { randomBytes, randomUUID } from 'node:crypto';
import { Topics } from '@confide/platform';
import { streamMeetingAudio } from '@confide/cli';
import { synthesize } from '@confide/testing';
import {
  KAFKA_DATA_DIR,
  POSTGRES_DATA_DIR,
  checkpointInfraPostgres,
  filesContaining,
  openStoredContent,
  pollUntil,
  readRawTopics,
  requireInfrastructure,
  startMicroservices,
  type RawTopicReader,
  type RunningMicroservices,
  type StoredContentReader,
} from './support/microservices';

/**
 * The canary on Kafka (ARCHITECTURE.md promises 2 and 3, docs/adr/0010-key-hierarchy.md): in the
 * microservices mode (each service its own process, Kafka, PostgreSQL, OpenBao Transit) a unique
 * phrase spoken into a meeting comes back decrypted (relayed to the client and read back from
 * storage), yet its bytes are nowhere in the broker's log directory nor in PostgreSQL's data
 * directory; and once the meeting ended and its transcription completed, the audio records still
 * on confide.audio.v1 can no longer be decrypted by anyone (the audio key is destroyed).
 *
 * The gateway is not started: with the identity work (ADR 0009) it needs an OIDC issuer and
 * storage needs caller authorization in this mode; the stored transcript is read through storage's
 * own read path (`openStoredContent`) instead.
 */
const PHRASE = 'purple elephant seventeen';
const SCRIPT = `the secret code word is ${PHRASE}`;
const PHRASE_WORDS = PHRASE.split(' ');
const FRAME_BYTES = 100 * 32; // the client's 100 ms frames of 16 kHz 16-bit mono

describe('canary on Kafka: a spoken phrase is readable back and nowhere at rest (microservices)', () => {
  let services: RunningMicroservices | undefined;
  let infraEnv: Record<string, string>;
  let stored: StoredContentReader | undefined;
  let raw: RawTopicReader | undefined;

  beforeAll(async () => {
    infraEnv = await requireInfrastructure();
    services = await startMicroservices({ infraEnv });
    stored = await openStoredContent({
      databaseUrl: infraEnv.DATABASE_URL!,
      vaultAddr: infraEnv.VAULT_ADDR!,
      tokenFile: infraEnv.VAULT_TOKEN_FILE!,
    });
  }, 180_000);

  afterAll(async () => {
    await raw?.close();
    await stored?.close();
    await services?.stop();
  }, 90_000);

  it('encrypts every record on Kafka and in PostgreSQL and shreds the audio once transcription completes', async () => {
    const running = services as RunningMicroservices;
    const reader = stored as StoredContentReader;
    const tenantId = `tenant-canary-${randomUUID().slice(0, 8)}`;
    const meetingId = `m-${randomUUID()}`;
    // Content that exists nowhere else: the speaker label and the title are content too.
    const speakerLabel = `Speaker${randomBytes(6).toString('hex')}`;
    const title = `canary title ${randomBytes(6).toString('hex')}`;
    const pcm = await synthesize(SCRIPT, 'slt');
    raw = await readRawTopics(infraEnv.KAFKA_BROKERS!, [Topics.meeting, Topics.audio, Topics.transcript, Topics.insight], meetingId);

    const result = await streamMeetingAudio({
      address: running.ingestAddress,
      token: await running.mintToken({ tenant: tenantId, roles: ['member'], mfa: false }),
      tenantId,
      meetingId,
      title,
      participants: [{ id: 'alice', speakerLabel }],
      tracks: new Map([['alice', pcm]]),
      realtime: false,
    }).catch((err: unknown) => {
      throw new Error(`the stream failed (${String(err)});\ningest log:\n${running.logTail('ingest')}\ntranscription log:\n${running.logTail('transcription')}`);
    });
    expect(result.completed?.finalSegmentCount).toBeGreaterThan(0);

    // 1. The phrase comes back decrypted: relayed to the client (Kafka -> ingest) and stored
    //    (Kafka -> storage -> PostgreSQL), read back through the API (gateway -> storage) with an
    //    admin's bearer token of the tenant. WER-tolerant.
    const relayedText = result.finals.map((s) => s.text).join(' ');
    expect(PHRASE_WORDS.filter((w) => relayedText.split(/\s+/).includes(w)).length).toBeGreaterThanOrEqual(2);
    const headers = { authorization: `Bearer ${await running.mintToken({ tenant: tenantId, roles: ['admin'] })}` };
    type Api = { segments: Array<{ text: string; speaker: string }> };
    const segments = await pollUntil('every final segment through the API', 60_000, async () => {
      const res = await fetch(`${running.httpBaseUrl}/api/meetings/${meetingId}/transcript`, { headers });
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as Api;
      return body.segments.length >= result.finals.length ? body.segments : undefined;
    });
    const storedText = segments.map((s) => s.text).join(' ');
    expect(storedText).toBe([...result.finals].sort((a, b) => a.startMs - b.startMs).map((s) => s.text).join(' '));
    expect(segments.every((s) => s.speaker === speakerLabel)).toBe(true);
    expect((await reader.transcript(tenantId, meetingId))?.map((s) => s.text).join(' ')).toBe(storedText); // storage's own read path agrees
    const heard = PHRASE_WORDS.filter((w) => storedText.split(/\s+/).includes(w));
    expect(heard.length).toBeGreaterThanOrEqual(2);

    // 2. The audio key is destroyed once transcription completed (the meeting key stays).
    await pollUntil('the audio key to be destroyed', 30_000, async () =>
      (await reader.keyState(tenantId, meetingId, 'audio')) === 'erased' ? true : undefined,
    );
    expect(await reader.keyState(tenantId, meetingId, 'meeting')).toBe('active');

    // 3. Every audio frame is still on the audio topic, and none can be decrypted any more.
    const expectedFrames = Math.ceil(pcm.length / FRAME_BYTES);
    const rawReader = raw as RawTopicReader;
    await pollUntil(`the ${expectedFrames} raw audio records`, 60_000, async () =>
      rawReader.envelopes(Topics.audio).length >= expectedFrames ? true : undefined,
    );
    const audio = rawReader.envelopes(Topics.audio);
    expect(audio.length).toBe(expectedFrames);
    for (const envelope of audio) {
      expect(envelope.keyRef).toBe('audio-dek');
      await expect(reader.protector.open(envelope, 'audio')).resolves.toEqual({ outcome: 'dropped', reason: 'key-destroyed' });
    }
    // Every record of the meeting on the other topics is encrypted too, and opens with the meeting key
    // (so the reader is able to decrypt: the audio records fail for their destroyed key only).
    const others = [Topics.meeting, Topics.transcript, Topics.insight].flatMap((t) => rawReader.envelopes(t));
    expect(others.length).toBeGreaterThan(result.finals.length);
    for (const envelope of others) {
      if (envelope.type === 'confide.lifecycle.v1.MeetingErased') continue;
      expect({ type: envelope.type, keyRef: envelope.keyRef }).toEqual({ type: envelope.type, keyRef: 'meeting-dek' });
    }
    const transcriptRecord = rawReader.envelopes(Topics.transcript)[0]!;
    await expect(reader.protector.open(transcriptRecord, 'meeting')).resolves.toMatchObject({ outcome: 'open' });

    // 4. Byte scans: the broker's log directory and PostgreSQL's data directory (after a
    //    checkpoint and a WAL switch) hold the meeting (its id is stored in clear: the scans work)
    //    but not a byte of its content.
    await checkpointInfraPostgres();
    expect(filesContaining(KAFKA_DATA_DIR, meetingId).length).toBeGreaterThan(0);
    expect(filesContaining(POSTGRES_DATA_DIR, meetingId).length).toBeGreaterThan(0);
    const needles = [...PHRASE_WORDS.filter((w) => w.length > 5), speakerLabel, title, ...result.finals.map((s) => s.text).filter((t) => t.length >= 12)];
    for (const needle of needles) {
      expect({ needle, kafka: filesContaining(KAFKA_DATA_DIR, needle), postgres: filesContaining(POSTGRES_DATA_DIR, needle) }).toEqual({
        needle,
        kafka: [],
        postgres: [],
      });
    }
  }, 300_000);
});
