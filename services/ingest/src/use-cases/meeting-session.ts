import type { Alert, Report, StreamMeetingResponse, TranscriptSegment } from '@confide/contracts';
import { AppError, deadlineExceeded, resourceExhausted, type Logger } from '@confide/platform';
import type { ResponseSink } from '../ports/response-sink.port';

export interface MeetingSessionOptions {
  tenantId: string;
  meetingId: string;
  sink: ResponseSink;
  logger: Logger;
  /** Responses queued but not yet taken by the transport before the stream is failed. */
  maxPendingResponses: number;
}

/**
 * The response side of one live meeting: a serialized outbox towards the client (so the
 * bus relay never waits on a slow client), de-duplication of relayed events (the bus is
 * at-least-once), the final/alert counts, and the completion that ends the stream.
 *
 * `completion` resolves once `report` and `completed` have been written, and rejects when
 * the stream must end with an error (deadline after end, client too slow, call gone).
 */
export class MeetingSession {
  readonly tenantId: string;
  readonly meetingId: string;
  readonly completion: Promise<void>;

  private readonly sink: ResponseSink;
  private readonly logger: Logger;
  private readonly maxPending: number;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private relaying = false;
  private ended = false;
  private reported = false;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly finalSegments = new Set<string>();
  private readonly alerts = new Set<string>();
  private resolveCompletion!: () => void;
  private rejectCompletion!: (err: unknown) => void;

  constructor(opts: MeetingSessionOptions) {
    this.tenantId = opts.tenantId;
    this.meetingId = opts.meetingId;
    this.sink = opts.sink;
    this.logger = opts.logger;
    this.maxPending = opts.maxPendingResponses;
    this.completion = new Promise<void>((resolve, reject) => {
      this.resolveCompletion = resolve;
      this.rejectCompletion = reject;
    });
    // Observed by the stream; never an unhandled rejection when the stream failed first.
    this.completion.catch(() => undefined);
  }

  get isSettled(): boolean {
    return this.settled;
  }

  get finalSegmentCount(): number {
    return this.finalSegments.size;
  }

  get alertCount(): number {
    return this.alerts.size;
  }

  /** Queues a response; resolves once it is written (never rejects: failures settle `completion`). */
  send(response: StreamMeetingResponse): Promise<void> {
    if (this.settled) return Promise.resolve();
    if (this.pending >= this.maxPending) {
      this.fail(resourceExhausted(`the client is not reading responses (more than ${this.maxPending} pending)`));
      return Promise.resolve();
    }
    this.pending += 1;
    const written = this.tail.then(() => (this.settled ? undefined : this.sink.send(response)));
    this.tail = written.then(
      () => {
        this.pending -= 1;
      },
      (err: unknown) => {
        this.pending -= 1;
        this.fail(err);
      },
    );
    return this.tail;
  }

  /** Relayed events are forwarded only after `accepted` was written. */
  enableRelay(): void {
    this.relaying = true;
  }

  relaySegment(segment: TranscriptSegment): void {
    if (!this.relaying || this.settled) return;
    if (this.finalSegments.has(segment.segmentId)) return; // a final was sent: later copies are redeliveries
    if (segment.isFinal) this.finalSegments.add(segment.segmentId);
    void this.send({ message: { $case: 'segment', segment } });
  }

  relayAlert(alert: Alert): void {
    if (!this.relaying || this.settled || this.alerts.has(alert.alertId)) return;
    this.alerts.add(alert.alertId);
    void this.send({ message: { $case: 'alert', alert } });
  }

  /** The report ends the stream: `report`, then `completed` with the counts. Before `end` it is ignored. */
  relayReport(report: Report): void {
    if (!this.relaying || this.settled || this.reported) return;
    if (!this.ended) {
      this.logger.warn({ tenantId: this.tenantId, meetingId: this.meetingId }, 'report received before the end message; ignored');
      return;
    }
    this.reported = true;
    void this.send({ message: { $case: 'report', report } });
    const completed = {
      meetingId: this.meetingId,
      finalSegmentCount: this.finalSegments.size,
      alertCount: this.alerts.size,
    };
    void this.send({ message: { $case: 'completed', completed } }).then(() => this.succeed());
  }

  /** Called after MeetingEnded was published: the report must arrive within `timeoutMs`. */
  markEnded(timeoutMs: number): void {
    this.ended = true;
    if (this.settled) return;
    this.timer = setTimeout(() => {
      this.fail(deadlineExceeded(`no report for meeting ${this.meetingId} within ${formatSeconds(timeoutMs)} after the end message`));
    }, timeoutMs);
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.settle();
    this.rejectCompletion(err instanceof AppError || err instanceof Error ? err : new Error('meeting session failed'));
  }

  /** Stops the session without settling it as success (cancel, stream error). */
  close(): void {
    if (this.settled) return;
    this.settle();
    this.resolveCompletion();
  }

  private succeed(): void {
    if (this.settled) return;
    this.settle();
    this.resolveCompletion();
  }

  private settle(): void {
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
