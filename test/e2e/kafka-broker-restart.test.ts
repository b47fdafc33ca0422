import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TranscriptSegment } from '@confide/contracts';
import { streamMeetingAudio } from '@confide/cli';
import { silencePcm, synthesize } from '@confide/testing';
import { REPO_ROOT, pollUntil, requireInfrastructure, startMicroservices, type RunningMicroservices } from './support/microservices';

const KAFKA_PID_FILE = path.join(REPO_ROOT, '.state', 'infra', 'kafka', 'kafka.pid');

/** The broker's pid when the process in kafka.pid is alive and is Kafka. */
function kafkaPid(): number {
  const pid = Number(readFileSync(KAFKA_PID_FILE, 'utf8').trim());
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  if (!cmdline.includes('kafka')) throw new Error(`pid ${pid} in ${KAFKA_PID_FILE} is not the Kafka broker`);
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function upKafka(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(REPO_ROOT, 'scripts', 'infra', 'up.sh'), 'kafka'], { cwd: REPO_ROOT, timeout: 150_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`scripts/infra/up.sh kafka failed: ${String(stderr).split('\n').slice(-15).join('\n')}`));
      else resolve();
    });
  });
}

/**
 * The shared broker is killed (SIGKILL: no controlled shutdown) in the middle of a meeting
 * streamed at real-time pace through the microservices, then restarted with
 * `scripts/infra/up.sh kafka`. Ingest's publishes wait the outage out (bounded retry in the
 * event bus factory), the consumers reconnect and resume from their committed offsets, and
 * storage ends up with every final segment the stream relayed exactly once.
 *
 * It restarts the Kafka of scripts/infra that other test runs may share: run it alone
 * (scripts/test.sh runs Jest --runInBand).
 */
describe('Kafka broker restart during a live meeting (microservices)', () => {
  let services: RunningMicroservices | undefined;

  beforeAll(async () => {
    const infraEnv = await requireInfrastructure();
    services = await startMicroservices({ infraEnv });
  }, 180_000);

  afterAll(async () => {
    await services?.stop();
    // Never leave the shared broker down, whatever happened above.
    let brokerUp: boolean;
    try {
      brokerUp = alive(kafkaPid());
    } catch {
      brokerUp = false;
    }
    if (!brokerUp) await upKafka();
  }, 200_000);

  it('loses and duplicates no final segment when the broker is killed mid-stream and restarted', async () => {
    const running = services as RunningMicroservices;
    const sentences = [
      'please send the quarterly budget report to the finance team by friday',
      'the new office opens next month in the city center',
      'we should review the hiring plan before the board meeting',
      'thank you everyone for joining the call today',
    ];
    const gap = silencePcm(1500);
    const parts: Buffer[] = [];
    for (const sentence of sentences) parts.push(await synthesize(sentence, 'slt'), gap);
    const pcm = Buffer.concat(parts);
    const tenantId = `tenant-kafka-restart-${randomUUID().slice(0, 8)}`;
    const meetingId = `m-${randomUUID()}`;

    // The outage starts once the first final went through the whole path (the consumers have
    // committed offsets on this meeting's partitions) and while most of the meeting is still to come.
    let outage: Promise<{ killedAt: number; backAt: number }> | undefined;
    const relayed = new Map<string, TranscriptSegment>();
    const onSegment = (segment: TranscriptSegment): void => {
      if (!segment.isFinal) return;
      relayed.set(segment.segmentId, segment);
      outage ??= (async () => {
        const pid = kafkaPid();
        process.kill(pid, 'SIGKILL');
        const killedAt = Date.now();
        await pollUntil('the killed broker to exit', 10_000, async () => (alive(pid) ? undefined : true), 50);
        await upKafka();
        return { killedAt, backAt: Date.now() };
      })();
      // Awaited after the stream; marked handled now so a failed restart is reported there.
      outage.catch(() => undefined);
    };

    const result = await streamMeetingAudio({
      address: running.ingestAddress,
      token: await running.mintToken({ tenant: tenantId, roles: ['member'], mfa: false }),
      tenantId,
      meetingId,
      title: 'kafka restart',
      participants: [{ id: 'alice', speakerLabel: 'Alice' }],
      tracks: new Map([['alice', pcm]]),
      realtime: true,
      onSegment,
    }).catch((err: unknown) => {
      throw new Error(`the stream failed (${String(err)});\ningest log:\n${running.logTail('ingest')}\ntranscription log:\n${running.logTail('transcription')}`);
    });
    const streamEndedAt = Date.now();

    expect(outage).toBeDefined();
    const { killedAt, backAt } = await (outage as Promise<{ killedAt: number; backAt: number }>);
    // The broker died mid-meeting and was back before the stream completed.
    expect(killedAt).toBeLessThan(backAt);
    expect(backAt).toBeLessThan(streamEndedAt);
    expect(result.completed?.meetingId).toBe(meetingId);
    expect(relayed.size).toBeGreaterThanOrEqual(sentences.length - 1);

    const headers = { authorization: `Bearer ${await running.mintToken({ tenant: tenantId, roles: ['admin'], mfa: true })}` };
    const base = `${running.httpBaseUrl}/api/meetings/${meetingId}`;
    type Stored = { segments: Array<{ segmentId: string; text: string; speaker: string }> };
    const stored = await pollUntil(
      `storage to hold the ${relayed.size} relayed finals`,
      90_000,
      async (): Promise<Stored | undefined> => {
        const res = await fetch(`${base}/transcript`, { headers });
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as Stored;
        const ids = new Set(body.segments.map((s) => s.segmentId));
        return [...relayed.keys()].every((id) => ids.has(id)) ? body : undefined;
      },
      500,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nstorage log:\n${running.logTail('storage')}`);
    });

    const storedIds = stored.segments.map((s) => s.segmentId);
    // None duplicated.
    expect(new Set(storedIds).size).toBe(storedIds.length);
    // None lost, none extra: the same set of segments as the stream relayed, with the same text.
    expect([...storedIds].sort()).toEqual([...relayed.keys()].sort());
    for (const segment of stored.segments) expect(segment.text).toBe(relayed.get(segment.segmentId)?.text);
    expect(result.completed?.finalSegmentCount).toBe(relayed.size);

    const del = await fetch(base, { method: 'DELETE', headers });
    expect(del.status).toBe(200);
  }, 300_000);
});
