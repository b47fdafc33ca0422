import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startAllInOne, streamMeetingAudio, type RunningPlatform } from '@confide/cli';
import { synthesize, wordErrorRate } from '@confide/testing';

/**
 * End to end through the all-in-one platform: real gRPC and HTTP listeners, the real
 * pocketsphinx recognizer, a real embedded PostgreSQL.
 */
describe('real-time path, all-in-one', () => {
  let platform: RunningPlatform;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'confide-e2e-'));
    platform = await startAllInOne({
      GRPC_ADDR: '127.0.0.1:0',
      GATEWAY_HTTP_ADDR: '127.0.0.1:0',
      STATE_DIR: stateDir,
      LOG_LEVEL: 'silent',
    });
  });

  afterAll(async () => {
    await platform?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('streams an utterance, relays partials before the final, serves and erases the transcript', async () => {
    const script = 'please send the quarterly budget report to the finance team by friday';
    const pcm = await synthesize(script, 'slt');
    const tenantId = 'tenant-e2e';
    const meetingId = `m-${randomUUID()}`;

    const result = await streamMeetingAudio({
      address: platform.grpcAddress,
      tenantId,
      meetingId,
      title: 'e2e',
      participants: [{ id: 'alice', speakerLabel: 'Alice' }],
      tracks: new Map([['alice', pcm]]),
      realtime: false,
    });

    expect(result.partialsBeforeFinal).toBeGreaterThan(0);
    expect(result.finals.length).toBeGreaterThan(0);
    expect(result.finals.every((s) => s.speakerLabel === 'Alice' && s.meetingId === meetingId)).toBe(true);
    const streamed = result.finals.map((s) => s.text).join(' ');
    expect(wordErrorRate(script, streamed)).toBeLessThanOrEqual(0.35);
    expect(result.report?.meetingId).toBe(meetingId);
    expect(result.completed?.finalSegmentCount).toBe(result.finals.length);

    const headers = { 'X-Confide-Tenant': tenantId };
    const base = `${platform.httpBaseUrl}/api/meetings/${meetingId}`;
    // Storage consumes the transcript topic on its own: poll until every final is stored.
    const deadline = Date.now() + 30_000;
    let stored: { segments: Array<{ text: string; speaker: string }> } = { segments: [] };
    while (Date.now() < deadline) {
      const res = await fetch(`${base}/transcript`, { headers });
      if (res.status === 200) {
        stored = (await res.json()) as typeof stored;
        if (stored.segments.length === result.finals.length) break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(stored.segments.map((s) => s.text)).toEqual(
      [...result.finals].sort((a, b) => a.startMs - b.startMs).map((s) => s.text),
    );

    // Another tenant cannot see it.
    const other = await fetch(`${base}/transcript`, { headers: { 'X-Confide-Tenant': 'tenant-other' } });
    expect(other.status).toBe(404);

    const del = await fetch(base, { method: 'DELETE', headers });
    expect(del.status).toBe(200);
    const gone = await fetch(`${base}/transcript`, { headers });
    expect(gone.status).toBe(404);
    const body = (await gone.json()) as { error: { code: string } };
    expect(body.error.code).toBe('not_found');
  });
});
