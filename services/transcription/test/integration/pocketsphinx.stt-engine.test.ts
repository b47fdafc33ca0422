import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWavFile, silencePcm, synthesize, wordErrorRate } from '@confide/testing';
import { createPocketsphinxEngine, type SttResult } from '../../src';

const engine = createPocketsphinxEngine();

async function transcribe(pcm: Buffer, chunkBytes = 3200): Promise<SttResult[]> {
  const results: SttResult[] = [];
  const session = engine.openSession({ meetingId: 'm', trackId: 't', sampleRateHz: 16_000, onResult: (r) => results.push(r) });
  for (let off = 0; off < pcm.length; off += chunkBytes) await session.write(pcm.subarray(off, off + chunkBytes));
  await session.end();
  return results;
}

/** Low-level noise: digital silence is not what a microphone produces. */
function roomTone(ms: number): Buffer {
  const pcm = silencePcm(ms);
  let x = 7;
  for (let i = 0; i < pcm.length; i += 2) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    pcm.writeInt16LE(Math.round((x / 4294967296 - 0.5) * 32), i);
  }
  return pcm;
}

describe('pocketsphinx engine (ps-stream)', () => {
  it('streams partials before the final, with sane timestamps and WER <= 35%', async () => {
    engine.assertAvailable();
    const reference = 'We decided to delay the product launch by one month.';
    const speech = await synthesize(reference, 'slt');
    const pcm = Buffer.concat([roomTone(500), speech, roomTone(800)]);
    const totalMs = pcm.length / 32;

    const results = await transcribe(pcm);

    const finals = results.filter((r) => r.kind === 'final');
    expect(finals.length).toBeGreaterThanOrEqual(1);
    const firstFinal = results.findIndex((r) => r.kind === 'final');
    expect(results.slice(0, firstFinal).some((r) => r.kind === 'partial' && r.utterance === finals[0]?.utterance)).toBe(true);
    for (const f of finals) {
      expect(f.startMs).toBeGreaterThanOrEqual(300);
      expect(f.endMs).toBeGreaterThan(f.startMs);
      expect(f.endMs).toBeLessThanOrEqual(totalMs);
      expect(f.confidence).toBeGreaterThanOrEqual(0);
      expect(f.confidence).toBeLessThanOrEqual(1);
    }
    const hypothesis = finals.map((f) => f.text).join(' ');
    expect(wordErrorRate(reference, hypothesis)).toBeLessThanOrEqual(0.35);
  });

  it('transcribes each speaker track of the sample meeting with WER <= 35%', async () => {
    const dir = join(__dirname, '../../../../samples/meeting');
    const manifest = JSON.parse(readFileSync(join(dir, 'meeting.json'), 'utf8')) as {
      audio: { file: string };
      participants: Array<{ id: string; channel: number; referenceText: string }>;
    };
    const audio = readWavFile(join(dir, manifest.audio.file));
    for (const p of manifest.participants) {
      const results = await transcribe(audio.channels[p.channel] as Buffer, 6400);
      const finals = results.filter((r) => r.kind === 'final');
      expect(finals.map((f) => f.utterance)).toEqual(finals.map((_, i) => i + 1));
      expect(wordErrorRate(p.referenceText, finals.map((f) => f.text).join(' '))).toBeLessThanOrEqual(0.35);
    }
  });

  it('refuses to open a session, naming pnpm native:build, when the binary is missing', () => {
    const missing = createPocketsphinxEngine({ POCKETSPHINX_BINARY: '/nonexistent/ps-stream' });
    expect(() => missing.openSession({ meetingId: 'm', trackId: 't', sampleRateHz: 16_000, onResult: () => undefined })).toThrow(
      /pnpm native:build/,
    );
  });
});
