import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TranscriptSegment } from '@confide/contracts';
import { streamMeetingAudio } from '@confide/cli';
import { silencePcm, synthesize } from '@confide/testing';
import {
  KAFKA_DATA_DIR,
  POSTGRES_DATA_DIR,
  checkpointInfraPostgres,
  filesContaining,
  grpcHealthNow,
  openStoredContent,
  pollUntil,
  requireInfrastructure,
  startMicroservices,
  startPrivateOpenBao,
  type PrivateOpenBao,
  type RunningMicroservices,
  type ServiceName,
  type StoredContentReader,
} from './support/microservices';

type GrpcService = Exclude<ServiceName, 'gateway'>;
const SERVICES: GrpcService[] = ['storage', 'lifecycle', 'transcription', 'insights', 'ingest'];

/**
 * Fail closed (ARCHITECTURE.md promise 2, docs/adr/0010-key-hierarchy.md): the KMS (OpenBao
 * Transit) is stopped in the middle of a meeting streamed at real-time pace through the
 * microservices and started again. Meanwhile every service reports NOT_SERVING, no plaintext
 * reaches Kafka or PostgreSQL (byte scans while it is down and after), and the messages that need
 * a key are held uncommitted instead of being dead-lettered; once it is back, processing resumes
 * and storage holds every final segment the stream relayed, exactly once.
 *
 * The services use a private OpenBao (scripts/infra/openbao-private.sh) so that the shared one
 * other tests use is never stopped. Plaintext meeting keys idle out after 250 ms
 * (KMS_MEETING_KEY_TTL) so that the outage is felt: every service needs the KMS again during it.
 * The gateway is not started (see canary.microservices.test.ts); storage is read through its own
 * read path.
 */
describe('KMS outage during a live meeting (microservices): fail closed, nothing lost', () => {
  let services: RunningMicroservices | undefined;
  let bao: PrivateOpenBao | undefined;
  let stored: StoredContentReader | undefined;

  beforeAll(async () => {
    const infraEnv = await requireInfrastructure();
    bao = await startPrivateOpenBao();
    services = await startMicroservices({
      infraEnv,
      services: SERVICES,
      env: { VAULT_ADDR: bao.vaultAddr, VAULT_TOKEN_FILE: bao.tokenFile, KMS_MEETING_KEY_TTL: '250ms', KMS_HEALTH_INTERVAL: '500ms' },
    });
    stored = await openStoredContent({
      databaseUrl: infraEnv.DATABASE_URL!,
      vaultAddr: bao.vaultAddr,
      tokenFile: bao.tokenFile,
    });
  }, 180_000);

  afterAll(async () => {
    await stored?.close();
    await services?.stop();
    await bao?.destroy();
  }, 120_000);

  it('holds everything while OpenBao is down, reports NOT_SERVING, and stores every final exactly once after', async () => {
    const running = services as RunningMicroservices;
    const kms = bao as PrivateOpenBao;
    const reader = stored as StoredContentReader;
    const sentences = [
      'the purple elephant walked slowly across the frozen river',
      'seventeen orange lanterns were hanging above the garden gate',
      'please remember to water the tomato plants every morning',
      'the library will close early on the first monday of march',
      'my neighbour found a silver bicycle behind the old bakery',
      'thank you for listening and have a wonderful evening',
    ];
    const gap = silencePcm(2000);
    const parts: Buffer[] = [];
    for (const sentence of sentences) parts.push(await synthesize(sentence, 'slt'), gap);
    const pcm = Buffer.concat(parts);
    const tenantId = `tenant-kms-outage-${randomUUID().slice(0, 8)}`;
    const meetingId = `m-${randomUUID()}`;
    const speakerLabel = `Speaker${randomBytes(6).toString('hex')}`;
    const title = `kms outage ${randomBytes(6).toString('hex')}`;

    // Plaintext that would betray a leak: what this meeting alone says (relayed finals, speaker, title).
    const relayed = new Map<string, TranscriptSegment>();
    const needles = (): string[] => [speakerLabel, title, ...[...relayed.values()].map((s) => s.text).filter((t) => t.length >= 12)];
    const leaks = (): Array<{ needle: string; kafka: string[]; postgres: string[] }> =>
      needles()
        .map((needle) => ({ needle, kafka: filesContaining(KAFKA_DATA_DIR, needle), postgres: filesContaining(POSTGRES_DATA_DIR, needle) }))
        .filter((l) => l.kafka.length > 0 || l.postgres.length > 0);

    interface Outage {
      stoppedAt: number;
      backAt: number;
      degraded: Record<string, string>;
      leaksWhileDown: ReturnType<typeof leaks>;
    }
    // The outage starts once the first final went through the whole path, with most of the meeting to come.
    let outage: Promise<Outage> | undefined;
    const onSegment = (segment: TranscriptSegment): void => {
      if (!segment.isFinal) return;
      relayed.set(segment.segmentId, segment);
      outage ??= (async (): Promise<Outage> => {
        await kms.stop();
        const stoppedAt = Date.now();
        // Health degraded: every service NOT_SERVING while the KMS is unavailable.
        const degraded: Record<string, string> = {};
        await Promise.all(
          SERVICES.map(async (name) => {
            degraded[name] = await pollUntil(`${name} NOT_SERVING`, 15_000, async () => {
              const status = await grpcHealthNow(running.grpcAddress(name));
              return status === 'NOT_SERVING' ? status : undefined;
            }).catch(async () => `still ${await grpcHealthNow(running.grpcAddress(name))}`);
          }),
        );
        // Let the meeting go on without a KMS (keys idle out; every service needs it again).
        await sleep(Math.max(0, stoppedAt + 8_000 - Date.now()));
        // Nothing written in clear meanwhile.
        await checkpointInfraPostgres();
        const leaksWhileDown = leaks();
        await kms.start();
        return { stoppedAt, backAt: Date.now(), degraded, leaksWhileDown };
      })();
      outage.catch(() => undefined); // awaited after the stream
    };

    const result = await streamMeetingAudio({
      address: running.ingestAddress,
      token: await running.mintToken({ tenant: tenantId, roles: ['member'], mfa: false }),
      tenantId,
      meetingId,
      title,
      participants: [{ id: 'alice', speakerLabel }],
      tracks: new Map([['alice', pcm]]),
      realtime: true,
      onSegment,
    }).catch((err: unknown) => {
      throw new Error(`the stream failed (${String(err)});\ningest log:\n${running.logTail('ingest')}\ntranscription log:\n${running.logTail('transcription')}`);
    });
    const streamEndedAt = Date.now();

    expect(outage).toBeDefined();
    const { stoppedAt, backAt, degraded, leaksWhileDown } = await (outage as Promise<Outage>);
    // OpenBao was down mid-meeting and back before the stream completed.
    expect(stoppedAt).toBeLessThan(backAt);
    expect(backAt).toBeLessThan(streamEndedAt);
    expect(degraded).toEqual(Object.fromEntries(SERVICES.map((name) => [name, 'NOT_SERVING'])));
    expect(leaksWhileDown).toEqual([]);
    expect(result.completed?.meetingId).toBe(meetingId);
    expect(relayed.size).toBeGreaterThanOrEqual(sentences.length - 1);

    // Healthy again once the KMS is back.
    for (const name of SERVICES) {
      await pollUntil(`${name} SERVING again`, 30_000, async () => ((await grpcHealthNow(running.grpcAddress(name))) === 'SERVING' ? true : undefined));
    }

    // Every final the stream relayed is stored exactly once, with the same text.
    const segments = await pollUntil(
      `storage to hold the ${relayed.size} relayed finals`,
      90_000,
      async () => {
        const found = await reader.transcript(tenantId, meetingId);
        const ids = new Set((found ?? []).map((s) => s.segmentId));
        return found && [...relayed.keys()].every((id) => ids.has(id)) ? found : undefined;
      },
      500,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nstorage log:\n${running.logTail('storage')}`);
    });
    const storedIds = segments.map((s) => s.segmentId);
    expect(new Set(storedIds).size).toBe(storedIds.length);
    expect([...storedIds].sort()).toEqual([...relayed.keys()].sort());
    for (const segment of segments) expect(segment.text).toBe(relayed.get(segment.segmentId)?.text);
    expect(result.completed?.finalSegmentCount).toBe(relayed.size);

    // The outage was felt and held, never dead-lettered.
    const logs = Object.fromEntries(SERVICES.map((name) => [name, running.logTail(name, 1_000_000)]));
    const held = SERVICES.filter((name) => logs[name]!.includes('kms unavailable; holding the message'));
    expect(held).toEqual(expect.arrayContaining(['transcription']));
    expect(SERVICES.filter((name) => logs[name]!.includes('sending message to DLQ'))).toEqual([]);

    // And nothing in clear at rest afterwards either.
    await checkpointInfraPostgres();
    expect(leaks()).toEqual([]);
    expect(filesContaining(KAFKA_DATA_DIR, meetingId).length).toBeGreaterThan(0); // the scan works
  }, 360_000);
});
