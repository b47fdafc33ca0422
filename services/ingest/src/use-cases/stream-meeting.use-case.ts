import type { AudioFormat, StreamMeetingRequest } from '@confide/contracts';
import { alreadyExists, cancelled, failedPrecondition, isAppError, type Clock, type Logger } from '@confide/platform';
import { MeetingStream, type StartedMeeting } from '../domain/meeting-stream';
import type { MeetingEventsPublisher } from '../ports/meeting-events.port';
import type { ResponseSink } from '../ports/response-sink.port';
import type { StreamAccess } from '../ports/stream-access.port';
import type { ActiveMeetings } from './active-meetings.registry';
import { MeetingSession } from './meeting-session';

export interface StreamMeetingDeps {
  events: MeetingEventsPublisher;
  /** Decides whether the caller may stream the meeting its start message names. */
  access: StreamAccess;
  meetings: ActiveMeetings;
  clock: Clock;
  logger: Logger;
  /** Time allowed between the end message and the report before DEADLINE_EXCEEDED. */
  completionTimeoutMs: number;
  /** Responses queued towards a client that does not read before the stream fails. */
  maxPendingResponses: number;
}

/**
 * One StreamMeeting call, transport-agnostic.
 *
 * Reads requests one at a time and awaits each publish before reading the next
 * (backpressure to the client). start -> the caller's `meeting:stream` decision (a refusal
 * publishes nothing), then MeetingStarted + `accepted`; audio ->
 * AudioFrameReceived; end -> MeetingEnded, then the stream stays open until the report was
 * relayed (or the completion timeout). Resolves when `completed` was written; rejects with
 * an AppError for validation failures, ALREADY_EXISTS, DEADLINE_EXCEEDED, CANCELLED (client
 * went away; the meeting is not ended), or whatever a publish failed with.
 */
export class StreamMeetingUseCase {
  constructor(private readonly deps: StreamMeetingDeps) {}

  async run(
    requests: AsyncIterable<StreamMeetingRequest>,
    sink: ResponseSink,
    signal: AbortSignal,
    caller: { bearerToken: string | undefined },
  ): Promise<void> {
    const machine = new MeetingStream();
    let session: MeetingSession | undefined;
    let over = false;
    let settle!: { resolve: () => void; reject: (err: unknown) => void };
    const outcome = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });

    const onAbort = (): void => settle.reject(cancelled('the client cancelled the stream'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    const reading = (async () => {
      for await (const request of requests) {
        if (over || session?.isSettled) return;
        const step = machine.accept(request);
        switch (step.kind) {
          case 'started': {
            const format = request.message?.$case === 'start' ? request.message.start.audioFormat : undefined;
            await this.deps.access.authorize(caller.bearerToken, step.meeting);
            session = await this.start(step.meeting, format, sink);
            session.completion.then(settle.resolve, settle.reject);
            break;
          }
          case 'audio': {
            const meeting = machine.started as StartedMeeting;
            const { frame } = step;
            await this.deps.events.audioFrameReceived({
              meetingId: meeting.meetingId,
              tenantId: meeting.tenantId,
              trackId: frame.trackId,
              speakerLabel: frame.speakerLabel,
              sequence: frame.sequence,
              data: frame.data,
              offsetMs: frame.offsetMs,
            });
            break;
          }
          case 'ended': {
            const meeting = machine.started as StartedMeeting;
            await this.deps.events.meetingEnded({
              meetingId: meeting.meetingId,
              tenantId: meeting.tenantId,
              endedAtUnixMs: this.deps.clock.now(),
              lastSequenceByTrack: step.lastSequenceByTrack,
            });
            this.deps.logger.info(
              { tenantId: meeting.tenantId, meetingId: meeting.meetingId, tracks: Object.keys(step.lastSequenceByTrack).length },
              'meeting ended; waiting for its report',
            );
            session?.markEnded(this.deps.completionTimeoutMs);
            break;
          }
        }
      }
      if (over) return;
      if (machine.state === 'awaiting-start') throw failedPrecondition('the stream was closed before a start message');
      if (machine.state === 'streaming') throw failedPrecondition('the stream was closed without an end message');
      // Half-closed after `end`: keep waiting for the session's completion.
    })();
    reading.catch(settle.reject);

    try {
      await outcome;
      const s = session as MeetingSession | undefined;
      if (s) {
        this.deps.logger.info(
          { tenantId: s.tenantId, meetingId: s.meetingId, finalSegments: s.finalSegmentCount, alerts: s.alertCount },
          'meeting stream completed',
        );
      }
    } catch (err) {
      const s = session as MeetingSession | undefined;
      const named = machine.started;
      const ids = s ? { tenantId: s.tenantId, meetingId: s.meetingId } : named ? { tenantId: named.tenantId, meetingId: named.meetingId } : {};
      if (isAppError(err) && err.kind === 'cancelled') {
        this.deps.logger.info({ ...ids, state: machine.state }, 'client cancelled the stream; the meeting was not ended');
      } else if (isAppError(err)) {
        this.deps.logger.info({ ...ids, state: machine.state, kind: err.kind }, 'meeting stream rejected');
      }
      throw err;
    } finally {
      over = true;
      signal.removeEventListener('abort', onAbort);
      const s = session as MeetingSession | undefined;
      if (s) {
        s.close();
        this.deps.meetings.release(s);
      }
    }
  }

  private async start(meeting: StartedMeeting, format: AudioFormat | undefined, sink: ResponseSink): Promise<MeetingSession> {
    const { tenantId, meetingId } = meeting;
    const session = new MeetingSession({
      tenantId,
      meetingId,
      sink,
      logger: this.deps.logger,
      maxPendingResponses: this.deps.maxPendingResponses,
    });
    if (!this.deps.meetings.claim(session)) {
      throw alreadyExists(`meeting ${meetingId} already has an active stream on this ingest instance`);
    }
    try {
      await this.deps.events.meetingStarted({
        meetingId,
        tenantId,
        title: meeting.title,
        participants: meeting.participants,
        audioFormat: format,
        recordingConsent: meeting.recordingConsent,
        startedAtUnixMs: this.deps.clock.now(),
      });
    } catch (err) {
      this.deps.meetings.release(session);
      throw err;
    }
    this.deps.logger.info({ tenantId, meetingId, participants: meeting.participants.length }, 'meeting started');
    await session.send({ message: { $case: 'accepted', accepted: { meetingId } } });
    session.enableRelay();
    return session;
  }
}
