/**
 * The speech-to-text engine port. One session per (meeting, track): PCM16LE mono audio in,
 * partial and final results out. Adapters: pocketsphinx (local, `adapters/pocketsphinx`);
 * Whisper-compatible HTTP or Deepgram-style streaming engines plug in the same way.
 */
export interface SttResult {
  kind: 'partial' | 'final';
  /** Utterance number within the session (starts at 1); partials and the final of one utterance share it. */
  utterance: number;
  text: string;
  /** Milliseconds from the start of the session's audio. */
  startMs: number;
  endMs: number;
  /** Recognition confidence in [0, 1]; 0 when the engine gives none. */
  confidence: number;
}

export interface SttSessionOptions {
  meetingId: string;
  trackId: string;
  sampleRateHz: number;
  /** Called for every result, in order. */
  onResult: (result: SttResult) => void;
  /** Called once if the session fails before `end()` was called (end() then rejects too). */
  onError?: (err: Error) => void;
}

export interface SttSession {
  /** Feeds audio; resolves once the engine accepted it (backpressure). Rejects after end/abort/failure. */
  write(pcm: Buffer): Promise<void>;
  /** No more audio: resolves after the engine flushed and every result was delivered. */
  end(): Promise<void>;
  /** Drops the session without waiting for results. */
  abort(): void;
}

export interface SttEngineInfo {
  /** Engine name, e.g. "pocketsphinx". */
  engine: string;
  language: string;
  /** Where audio goes: "local" for an in-cluster engine, or the endpoint's host. */
  destination: string;
}

export interface SttEngine {
  readonly info: SttEngineInfo;
  openSession(opts: SttSessionOptions): SttSession;
  activeSessions(): number;
}
