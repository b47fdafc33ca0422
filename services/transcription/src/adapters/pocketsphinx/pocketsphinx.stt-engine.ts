import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createInterface } from 'node:readline';
import { failedPrecondition, invalidArgument, type Logger } from '@confide/platform';
import type { SttEngine, SttEngineInfo, SttResult, SttSession, SttSessionOptions } from '../../ports/stt-engine.port';

export interface PocketsphinxEngineOptions {
  /** Path of the ps-stream binary (built by `pnpm native:build`). */
  binaryPath: string;
  /** Acoustic model directory, language model and dictionary; unset = the Debian defaults. */
  hmmPath?: string;
  lmPath?: string;
  dictPath?: string;
  /** Minimum audio between two partial results, in ms. */
  partialIntervalMs?: number;
  language?: string;
  logger?: Logger;
}

const SAMPLE_RATE_HZ = 16_000;
const STDERR_TAIL_BYTES = 2048;

/** Line protocol of ps-stream (see native/ps-stream.c). */
interface PsLine {
  type: 'ready' | 'partial' | 'final' | 'eof';
  utt?: number;
  text?: string;
  startMs?: number;
  endMs?: number;
  confidence?: number;
}

/** The local pocketsphinx engine: one `ps-stream` child process per session. */
export class PocketsphinxSttEngine implements SttEngine {
  readonly info: SttEngineInfo;
  private active = 0;

  constructor(private readonly opts: PocketsphinxEngineOptions) {
    this.info = { engine: 'pocketsphinx', language: opts.language ?? 'en-US', destination: 'local' };
  }

  activeSessions(): number {
    return this.active;
  }

  /** Throws a failed-precondition error naming `pnpm native:build` when the binary is missing. */
  assertAvailable(): void {
    try {
      accessSync(this.opts.binaryPath, constants.X_OK);
    } catch {
      throw failedPrecondition(
        `pocketsphinx engine binary not found or not executable at ${this.opts.binaryPath}; build it with \`pnpm native:build\``,
      );
    }
  }

  openSession(session: SttSessionOptions): SttSession {
    if (session.sampleRateHz !== SAMPLE_RATE_HZ) {
      throw invalidArgument(`pocketsphinx sessions take ${SAMPLE_RATE_HZ} Hz audio, not ${session.sampleRateHz} Hz`);
    }
    this.assertAvailable();
    const args: string[] = [];
    if (this.opts.hmmPath) args.push('-hmm', this.opts.hmmPath);
    if (this.opts.lmPath) args.push('-lm', this.opts.lmPath);
    if (this.opts.dictPath) args.push('-dict', this.opts.dictPath);
    if (this.opts.partialIntervalMs !== undefined) args.push('-partial_ms', String(Math.round(this.opts.partialIntervalMs)));
    const child = spawn(this.opts.binaryPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.active += 1;
    return new PocketsphinxSession(child, session, this.opts.logger, () => {
      this.active -= 1;
    });
  }
}

class PocketsphinxSession implements SttSession {
  private ended = false;
  private aborted = false;
  private sawEof = false;
  private failure?: Error;
  private stderrTail = '';
  private readonly exited: Promise<void>;

  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly opts: SttSessionOptions,
    private readonly logger: Logger | undefined,
    onClosed: () => void,
  ) {
    child.stdin.on('error', () => {
      // EPIPE when the process died; reported through the exit handler.
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => this.onLine(line));
    const stdoutClosed = new Promise<void>((resolve) => lines.once('close', () => resolve()));
    let closed = false;
    const closeOnce = (): void => {
      if (closed) return;
      closed = true;
      onClosed();
    };
    this.exited = new Promise<void>((resolve, reject) => {
      child.once('error', (err) => {
        closeOnce();
        this.fail(new Error(`ps-stream could not be started: ${err.message}`));
        reject(this.failure);
      });
      child.once('close', (code, signal) => {
        void stdoutClosed.then(() => {
          closeOnce();
          if (this.aborted) return resolve();
          if (code === 0 && this.sawEof) return resolve();
          this.fail(
            new Error(
              `ps-stream exited (${signal ?? `code ${String(code)}`}) before the end of the stream${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`,
            ),
          );
          reject(this.failure);
        });
      });
    });
    // end() attaches the real handler; avoid an unhandled rejection when nobody waits.
    this.exited.catch(() => undefined);
  }

  async write(pcm: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.ended || this.aborted) throw new Error('session already ended');
    if (pcm.length === 0) return;
    if (this.child.stdin.write(pcm)) return;
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        this.child.stdin.off('drain', onDrain);
        this.child.off('close', onClose);
      };
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onClose = (): void => {
        cleanup();
        reject(this.failure ?? new Error('ps-stream exited'));
      };
      this.child.stdin.on('drain', onDrain);
      this.child.once('close', onClose);
    });
  }

  async end(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.ended) {
      this.ended = true;
      this.child.stdin.end();
    }
    await this.exited;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.child.stdin.destroy();
    this.child.kill('SIGTERM');
  }

  private onLine(line: string): void {
    if (this.aborted || line.trim().length === 0) return;
    let parsed: PsLine;
    try {
      parsed = JSON.parse(line) as PsLine;
    } catch {
      this.logger?.warn({ meetingId: this.opts.meetingId, trackId: this.opts.trackId }, 'ps-stream wrote a line that is not JSON; ignored');
      return;
    }
    if (parsed.type === 'eof') {
      this.sawEof = true;
      return;
    }
    if (parsed.type !== 'partial' && parsed.type !== 'final') return;
    const result: SttResult = {
      kind: parsed.type,
      utterance: Number(parsed.utt ?? 0),
      text: String(parsed.text ?? ''),
      startMs: Number(parsed.startMs ?? 0),
      endMs: Number(parsed.endMs ?? parsed.startMs ?? 0),
      confidence: Number(parsed.confidence ?? 0),
    };
    this.opts.onResult(result);
  }

  private fail(err: Error): void {
    if (this.failure || this.aborted) return;
    this.failure = err;
    this.opts.onError?.(err);
  }
}
