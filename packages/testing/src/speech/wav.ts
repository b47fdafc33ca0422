import { readFileSync, writeFileSync } from 'node:fs';
import { WaveFile } from 'wavefile';

/** Decoded audio: one PCM16LE buffer per channel. */
export interface PcmAudio {
  sampleRateHz: number;
  /** One buffer per channel, each PCM16LE (2 bytes per sample), all the same length. */
  channels: Buffer[];
}

interface WaveFmt {
  numChannels: number;
  sampleRate: number;
}

/** Parses a WAV file (any bit depth wavefile understands) into 16-bit PCM channels. */
export function decodeWav(bytes: Uint8Array): PcmAudio {
  const wav = new WaveFile();
  wav.fromBuffer(bytes);
  if (wav.bitDepth !== '16') wav.toBitDepth('16');
  const fmt = wav.fmt as WaveFmt;
  const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
  const perChannel = fmt.numChannels === 1 ? [samples as Int16Array] : (samples as Int16Array[]);
  return { sampleRateHz: fmt.sampleRate, channels: perChannel.map((c) => int16ToPcm(c)) };
}

/** Encodes PCM16LE channels (equal lengths) into a 16-bit WAV file. */
export function encodeWav(audio: PcmAudio): Buffer {
  if (audio.channels.length === 0) throw new Error('encodeWav: at least one channel is required');
  const length = (audio.channels[0] as Buffer).length;
  if (length % 2 !== 0) throw new Error('encodeWav: PCM16 buffers must have an even length');
  if (audio.channels.some((c) => c.length !== length)) throw new Error('encodeWav: channels must have the same length');
  const channels = audio.channels.map((c) => pcmToInt16(c));
  const wav = new WaveFile();
  wav.fromScratch(channels.length, audio.sampleRateHz, '16', channels.length === 1 ? (channels[0] as Int16Array) : channels);
  return Buffer.from(wav.toBuffer());
}

export function readWavFile(path: string): PcmAudio {
  return decodeWav(readFileSync(path));
}

export function writeWavFile(path: string, audio: PcmAudio): void {
  writeFileSync(path, encodeWav(audio));
}

/** Duration in milliseconds of PCM16 mono audio. */
export function pcmDurationMs(pcm: Buffer, sampleRateHz: number): number {
  return Math.round((pcm.length / 2 / sampleRateHz) * 1000);
}

/** Splits PCM16 mono audio into frames of `frameMs` (the last one may be shorter). */
export function splitPcmFrames(pcm: Buffer, sampleRateHz: number, frameMs: number): Buffer[] {
  const bytes = Math.max(2, Math.round((sampleRateHz * frameMs) / 1000) * 2);
  const frames: Buffer[] = [];
  for (let off = 0; off < pcm.length; off += bytes) frames.push(pcm.subarray(off, Math.min(off + bytes, pcm.length)));
  return frames;
}

/** Silence of the given duration, PCM16LE mono. */
export function silencePcm(ms: number, sampleRateHz = 16_000): Buffer {
  return Buffer.alloc(Math.round((sampleRateHz * ms) / 1000) * 2);
}

function int16ToPcm(samples: Int16Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i += 1) out.writeInt16LE(samples[i] as number, i * 2);
  return out;
}

function pcmToInt16(pcm: Buffer): Int16Array {
  const out = new Int16Array(pcm.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = pcm.readInt16LE(i * 2);
  return out;
}
