import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WaveFile } from 'wavefile';

export interface SampleParticipant {
  id: string;
  speakerLabel: string;
  channel: number;
}

export interface MeetingSample {
  title: string;
  participants: SampleParticipant[];
  /** Reference text per participant id (what the script says), for the word error rate. */
  reference: Record<string, string>;
  /** PCM16LE 16 kHz mono per participant id. */
  tracks: Map<string, Buffer>;
  durationMs: number;
}

/** samples/meeting/meeting.json, written by samples/meeting/generate.sh. */
interface SampleManifest {
  title?: string;
  audio: { file: string };
  participants: Array<{ id: string; speakerLabel: string; channel: number; referenceText: string }>;
}

/** Loads samples/meeting (meeting.json + stereo meeting.wav) into one mono track per participant. */
export function loadMeetingSample(dir: string): MeetingSample {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'meeting.json'), 'utf8')) as SampleManifest;
  const wav = new WaveFile(readFileSync(path.join(dir, manifest.audio.file)));
  const fmt = wav.fmt as { sampleRate: number; numChannels: number; bitsPerSample: number };
  if (fmt.sampleRate !== 16000 || fmt.bitsPerSample !== 16) {
    throw new Error(`sample must be 16-bit 16 kHz PCM, got ${fmt.bitsPerSample}-bit ${fmt.sampleRate} Hz`);
  }
  const channels = wav.getSamples(false, Int16Array) as unknown as Int16Array[] | Int16Array;
  const perChannel: Int16Array[] = fmt.numChannels === 1 ? [channels as Int16Array] : (channels as Int16Array[]);
  const tracks = new Map<string, Buffer>();
  for (const p of manifest.participants) {
    const samples = perChannel[p.channel];
    if (!samples) throw new Error(`sample has no channel ${p.channel} for participant ${p.id}`);
    tracks.set(p.id, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  }
  const longest = Math.max(...[...tracks.values()].map((b) => b.length));
  return {
    title: manifest.title ?? 'Demo meeting',
    participants: manifest.participants.map(({ id, speakerLabel, channel }) => ({ id, speakerLabel, channel })),
    reference: Object.fromEntries(manifest.participants.map((p) => [p.id, p.referenceText])),
    tracks,
    durationMs: Math.round(longest / 32),
  };
}
