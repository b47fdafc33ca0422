import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeWav } from './wav';

const run = promisify(execFile);

/** flite voices installed with Debian's flite package. */
export type FliteVoice = 'slt' | 'rms' | 'awb' | 'kal16' | 'kal' | 'awb_time';

export const SPEECH_SAMPLE_RATE_HZ = 16_000;

/**
 * Synthesizes `text` with flite and returns PCM16LE, 16 kHz, mono. Voices that are not
 * 16 kHz mono are resampled with sox. Temporary files are removed in every case.
 */
export async function synthesize(text: string, voice: FliteVoice = 'slt'): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'confide-flite-'));
  try {
    const wavPath = join(dir, 'speech.wav');
    await run('flite', ['-voice', voice, '-t', text, '-o', wavPath]);
    let audio = decodeWav(await readFile(wavPath));
    if (audio.sampleRateHz !== SPEECH_SAMPLE_RATE_HZ || audio.channels.length !== 1) {
      const resampled = join(dir, 'speech-16k.wav');
      await run('sox', [wavPath, '-r', String(SPEECH_SAMPLE_RATE_HZ), '-c', '1', '-b', '16', '-e', 'signed-integer', resampled]);
      audio = decodeWav(await readFile(resampled));
    }
    return audio.channels[0] as Buffer;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** True when the flite binary can be run. */
export async function fliteAvailable(): Promise<boolean> {
  try {
    await run('flite', ['-lv']);
    return true;
  } catch {
    return false;
  }
}
