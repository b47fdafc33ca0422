import type { AudioFrameReceivedEvent, MeetingEndedEvent, TranscriptSegment } from '@confide/contracts';
import { errorSummary, systemClock, type Clock, type Logger } from '@confide/platform';
import { MeetingProgress, type TrackProgress } from '../domain/meeting-progress';
import { toSegment } from '../domain/segment';
import type { SttEngine, SttResult, SttSession } from '../ports/stt-engine.port';
import type { TranscriptEvents } from '../ports/transcript-events.port';

export const SAMPLE_RATE_HZ = 16_000;
const BYTES_PER_MS = (SAMPLE_RATE_HZ * 2) / 1000;
/** Gaps between frame offsets longer than this are filled with silence (keeps timestamps aligned). */
const MAX_GAP_FILL_MS = 60_000;
/** Completed meetings remembered so that late redeliveries are ignored. */
const COMPLETED_MEMORY = 10_000;

/**
 * Destroys a meeting's audio key once its transcription completed (crypto-shredding the audio
 * still on the topic; ARCHITECTURE.md promise 3). A platform `MeetingKeyring` over the key registry.
 */
export interface AudioKeyShredder {
  destroy(tenantId: string, meetingId: string, purpose: 'audio'): Promise<unknown>;
}

export interface TranscribeMeetingAudioDeps {
  engine: SttEngine;
  events: TranscriptEvents;
  logger: Logger;
  clock?: Clock;
  /** Without one the audio key is left to expire (unit tests only). */
  audioKeys?: AudioKeyShredder;
}

interface TrackRuntime {
  progress: TrackProgress;
  session: SttSession;
  failed: boolean;
  finishing?: Promise<void>;
}

interface MeetingRuntime {
  progress: MeetingProgress;
  tracks: Map<string, TrackRuntime>;
  /** Segments produced but not yet published, in order. */
  pending: TranscriptSegment[];
  draining?: Promise<void>;
  completing?: Promise<void>;
}

/**
 * Consumes audio frames and meeting ends, runs one engine session per (meeting, track) and
 * publishes partial/final segments and, once every track is finished, TranscriptionCompleted.
 * Every handler resolves only after the publishes it caused have resolved.
 */
export class TranscribeMeetingAudio {
  private readonly meetings = new Map<string, MeetingRuntime>();
  private readonly completed = new Set<string>();
  private readonly clock: Clock;

  constructor(private readonly deps: TranscribeMeetingAudioDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  get activeMeetings(): number {
    return this.meetings.size;
  }

  async onAudioFrame(frame: AudioFrameReceivedEvent): Promise<void> {
    if (this.completed.has(frame.meetingId)) return;
    const meeting = this.meeting(frame.meetingId, frame.tenantId);
    const track = this.track(meeting, frame);
    const decision = meeting.progress.classifyFrame(track.progress, frame.sequence);
    if (decision === 'write' && !track.failed) {
      await this.write(track, frame);
      meeting.progress.recordWritten(track.progress, frame.sequence);
    } else if (decision === 'write') {
      meeting.progress.recordWritten(track.progress, frame.sequence);
    } else {
      this.deps.logger.debug({ meetingId: frame.meetingId, trackId: frame.trackId, sequence: frame.sequence, decision }, 'frame ignored');
    }
    await this.drain(meeting);
    await this.advance(meeting);
  }

  async onMeetingEnded(ended: MeetingEndedEvent): Promise<void> {
    if (this.completed.has(ended.meetingId)) return;
    const meeting = this.meeting(ended.meetingId, ended.tenantId);
    if (!meeting.progress.ended) {
      meeting.progress.markEnded(ended.lastSequenceByTrack);
      this.deps.logger.info(
        { meetingId: ended.meetingId, tracks: Object.keys(ended.lastSequenceByTrack).length },
        'meeting ended; finishing tracks once all their audio is in',
      );
    }
    await this.drain(meeting);
    await this.advance(meeting);
  }

  /** Drops every session (unacknowledged events are redelivered to the next consumer). */
  stop(): void {
    for (const meeting of this.meetings.values()) for (const track of meeting.tracks.values()) track.session.abort();
    this.meetings.clear();
  }

  private meeting(meetingId: string, tenantId: string): MeetingRuntime {
    let meeting = this.meetings.get(meetingId);
    if (!meeting) {
      meeting = { progress: new MeetingProgress(meetingId, tenantId), tracks: new Map(), pending: [] };
      this.meetings.set(meetingId, meeting);
    } else if (!meeting.progress.tenantId && tenantId) {
      meeting.progress.tenantId = tenantId;
    }
    return meeting;
  }

  private track(meeting: MeetingRuntime, frame: AudioFrameReceivedEvent): TrackRuntime {
    const existing = meeting.tracks.get(frame.trackId);
    if (existing) {
      meeting.progress.track(frame.trackId, frame.speakerLabel);
      return existing;
    }
    const progress = meeting.progress.track(frame.trackId, frame.speakerLabel);
    const runtime: TrackRuntime = {
      progress,
      failed: false,
      session: this.deps.engine.openSession({
        meetingId: frame.meetingId,
        trackId: frame.trackId,
        sampleRateHz: SAMPLE_RATE_HZ,
        onResult: (result) => this.onResult(meeting, progress, result),
        onError: (err) => {
          runtime.failed = true;
          this.deps.logger.error({ meetingId: frame.meetingId, trackId: frame.trackId, err: errorSummary(err) }, 'engine session failed');
        },
      }),
    };
    meeting.tracks.set(frame.trackId, runtime);
    this.deps.logger.info({ meetingId: frame.meetingId, trackId: frame.trackId }, 'engine session opened');
    return runtime;
  }

  private async write(track: TrackRuntime, frame: AudioFrameReceivedEvent): Promise<void> {
    const progress = track.progress;
    if (progress.baseOffsetMs === undefined) progress.baseOffsetMs = frame.offsetMs;
    const expectedMs = progress.baseOffsetMs + progress.writtenMs;
    const gapMs = Math.min(MAX_GAP_FILL_MS, Math.floor(frame.offsetMs - expectedMs));
    try {
      if (gapMs > 0) {
        await track.session.write(Buffer.alloc(gapMs * BYTES_PER_MS));
        progress.writtenMs += gapMs;
      }
      const even = frame.data.length % 2 === 0 ? frame.data : frame.data.subarray(0, frame.data.length - 1);
      await track.session.write(even);
      progress.writtenMs += even.length / BYTES_PER_MS;
    } catch (err) {
      // The engine process died: nothing more can be recognized on this track. Keep counting
      // frames so that the meeting can still complete with what was transcribed.
      track.failed = true;
      this.deps.logger.error({ meetingId: frame.meetingId, trackId: frame.trackId, err: errorSummary(err) }, 'writing audio to the engine failed');
    }
  }

  private onResult(meeting: MeetingRuntime, track: TrackProgress, result: SttResult): void {
    const text = result.text.trim();
    if (text.length === 0) return;
    const segment = toSegment(
      {
        meetingId: meeting.progress.meetingId,
        tenantId: meeting.progress.tenantId,
        trackId: track.trackId,
        speakerLabel: track.speakerLabel,
        baseOffsetMs: track.baseOffsetMs ?? 0,
      },
      { ...result, text },
    );
    if (segment.isFinal) meeting.progress.finalSegments += 1;
    meeting.pending.push(segment);
    // Published in the background as results arrive; handlers also await drain(), so a failed
    // publish is retried by the next delivery.
    this.drain(meeting).catch((err: unknown) =>
      this.deps.logger.warn({ meetingId: meeting.progress.meetingId, err: errorSummary(err) }, 'publishing segments failed; will retry'),
    );
  }

  private drain(meeting: MeetingRuntime): Promise<void> {
    if (!meeting.draining) {
      meeting.draining = (async () => {
        while (meeting.pending.length > 0) {
          const batch = meeting.pending.slice();
          await this.deps.events.publishSegments(
            { meetingId: meeting.progress.meetingId, tenantId: meeting.progress.tenantId },
            batch,
          );
          meeting.pending.splice(0, batch.length);
        }
      })().finally(() => {
        meeting.draining = undefined;
      });
    }
    return meeting.draining;
  }

  /** Finishes the tracks that are complete and, when all are, completes the meeting. */
  private async advance(meeting: MeetingRuntime): Promise<void> {
    const progress = meeting.progress;
    const finishing: Promise<void>[] = [];
    for (const trackProgress of progress.completeTracks()) {
      const track = meeting.tracks.get(trackProgress.trackId);
      if (track) finishing.push(this.finishTrack(meeting, track));
      else trackProgress.finished = true;
    }
    // Tracks announced by MeetingEnded that have a runtime already finishing are awaited too.
    for (const track of meeting.tracks.values()) if (track.finishing) finishing.push(track.finishing);
    await Promise.all(finishing);
    if (!progress.allTracksFinished()) return;
    meeting.completing ??= this.complete(meeting).catch((err: unknown) => {
      meeting.completing = undefined;
      throw err;
    });
    await meeting.completing;
  }

  private finishTrack(meeting: MeetingRuntime, track: TrackRuntime): Promise<void> {
    track.finishing ??= (async () => {
      try {
        await track.session.end();
      } catch (err) {
        track.failed = true;
        this.deps.logger.error(
          { meetingId: meeting.progress.meetingId, trackId: track.progress.trackId, err: errorSummary(err) },
          'engine session did not finish cleanly; completing with the results received',
        );
      }
      track.progress.finished = true;
      this.deps.logger.info({ meetingId: meeting.progress.meetingId, trackId: track.progress.trackId }, 'track transcribed');
    })();
    return track.finishing;
  }

  private async complete(meeting: MeetingRuntime): Promise<void> {
    await this.drain(meeting);
    const progress = meeting.progress;
    await this.deps.events.publishCompleted({
      meetingId: progress.meetingId,
      tenantId: progress.tenantId,
      finalSegmentCount: progress.finalSegments,
      completedAtUnixMs: this.clock.now(),
    });
    // After the completion is durable: the audio is no longer needed. A failure rejects the
    // handler, so the redelivery completes (idempotently) and destroys again.
    await this.deps.audioKeys?.destroy(progress.tenantId, progress.meetingId, 'audio');
    progress.completed = true;
    this.meetings.delete(progress.meetingId);
    this.completed.add(progress.meetingId);
    if (this.completed.size > COMPLETED_MEMORY) {
      const oldest = this.completed.values().next().value;
      if (oldest !== undefined) this.completed.delete(oldest);
    }
    this.deps.logger.info({ meetingId: progress.meetingId, finalSegments: progress.finalSegments }, 'transcription completed');
  }
}
