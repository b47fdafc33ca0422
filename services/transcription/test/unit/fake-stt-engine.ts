import type { SttEngine, SttResult, SttSession, SttSessionOptions } from '../../src/ports/stt-engine.port';

/**
 * A scripted engine: each session records the audio written to it, emits one partial per
 * write ("bytes N") and, on end(), one final per utterance boundary the test asked for
 * (`finalsOnEnd`, default 1 when any audio was written).
 */
export class FakeSttEngine implements SttEngine {
  readonly info = { engine: 'fake', language: 'en-US', destination: 'local' };
  readonly sessions: FakeSttSession[] = [];

  constructor(private readonly finalsOnEnd = 1) {}

  openSession(opts: SttSessionOptions): SttSession {
    const session = new FakeSttSession(opts, this.finalsOnEnd);
    this.sessions.push(session);
    return session;
  }

  activeSessions(): number {
    return this.sessions.filter((s) => !s.closed).length;
  }

  session(meetingId: string, trackId: string): FakeSttSession | undefined {
    return this.sessions.find((s) => s.opts.meetingId === meetingId && s.opts.trackId === trackId);
  }
}

export class FakeSttSession implements SttSession {
  readonly writes: Buffer[] = [];
  closed = false;
  ended = false;

  constructor(
    readonly opts: SttSessionOptions,
    private readonly finalsOnEnd: number,
  ) {}

  get bytesWritten(): number {
    return this.writes.reduce((n, b) => n + b.length, 0);
  }

  async write(pcm: Buffer): Promise<void> {
    if (this.ended) throw new Error('write after end');
    this.writes.push(Buffer.from(pcm));
    const endMs = this.bytesWritten / 32;
    this.emit({ kind: 'partial', utterance: 1, text: `bytes ${this.bytesWritten}`, startMs: 0, endMs, confidence: 0 });
  }

  async end(): Promise<void> {
    this.ended = true;
    if (this.bytesWritten > 0) {
      const totalMs = this.bytesWritten / 32;
      for (let u = 1; u <= this.finalsOnEnd; u += 1) {
        const span = totalMs / this.finalsOnEnd;
        this.emit({ kind: 'final', utterance: u, text: `final ${u}`, startMs: (u - 1) * span, endMs: u * span, confidence: 0.9 });
      }
    }
    this.closed = true;
  }

  abort(): void {
    this.closed = true;
  }

  private emit(result: SttResult): void {
    this.opts.onResult(result);
  }
}
