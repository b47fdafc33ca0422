import { decodeWav, encodeWav, pcmDurationMs, silencePcm, splitPcmFrames } from '../../../src/speech/wav';

function pcm(samples: number[]): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => b.writeInt16LE(s, i * 2));
  return b;
}

describe('wav', () => {
  it('round-trips mono PCM16', () => {
    const mono = pcm([0, 1, -1, 32767, -32768, 1234]);
    const wav = encodeWav({ sampleRateHz: 16_000, channels: [mono] });
    expect(wav.subarray(0, 4).toString('ascii')).toBe('RIFF');
    const back = decodeWav(wav);
    expect(back.sampleRateHz).toBe(16_000);
    expect(back.channels).toHaveLength(1);
    expect(back.channels[0]?.equals(mono)).toBe(true);
  });

  it('round-trips stereo PCM16 with channels kept apart', () => {
    const left = pcm([1, 2, 3, 4]);
    const right = pcm([-1, -2, -3, -4]);
    const back = decodeWav(encodeWav({ sampleRateHz: 8000, channels: [left, right] }));
    expect(back.sampleRateHz).toBe(8000);
    expect(back.channels.map((c) => [...new Int16Array(c.buffer, c.byteOffset, c.length / 2)])).toEqual([
      [1, 2, 3, 4],
      [-1, -2, -3, -4],
    ]);
  });

  it('rejects channels of different lengths', () => {
    expect(() => encodeWav({ sampleRateHz: 16_000, channels: [pcm([1]), pcm([1, 2])] })).toThrow('same length');
  });

  it('splits into frames and measures durations', () => {
    const audio = silencePcm(250);
    expect(audio.length).toBe(8000);
    expect(pcmDurationMs(audio, 16_000)).toBe(250);
    const frames = splitPcmFrames(audio, 16_000, 100);
    expect(frames.map((f) => f.length)).toEqual([3200, 3200, 1600]);
  });
});
