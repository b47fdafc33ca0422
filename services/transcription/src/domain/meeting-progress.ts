/**
 * What transcription knows about one meeting's audio, independent of any engine or bus.
 *
 * Frames and the MeetingEnded event travel on different topics, so they arrive in any
 * order. A track is complete once MeetingEnded was seen AND every frame up to the track's
 * last sequence (`last_sequence_by_track`) was written; the meeting is complete once every
 * track is finished (a meeting without audio completes on MeetingEnded).
 */
export interface TrackProgress {
  readonly trackId: string;
  speakerLabel: string;
  /** Highest sequence written to the engine; undefined before the first frame. */
  lastSequence?: number;
  /** Audio written so far, in ms (for gap filling). */
  writtenMs: number;
  /** Offset (ms) of the first written frame from the start of the meeting's audio. */
  baseOffsetMs?: number;
  finished: boolean;
}

export type FrameDecision = 'write' | 'duplicate' | 'late';

export class MeetingProgress {
  readonly tracks = new Map<string, TrackProgress>();
  /** last_sequence_by_track once MeetingEnded was seen. */
  private lastSequenceByTrack?: Map<string, number>;
  completed = false;
  finalSegments = 0;

  constructor(
    readonly meetingId: string,
    public tenantId: string,
  ) {}

  get ended(): boolean {
    return this.lastSequenceByTrack !== undefined;
  }

  track(trackId: string, speakerLabel: string): TrackProgress {
    let track = this.tracks.get(trackId);
    if (!track) {
      track = { trackId, speakerLabel, writtenMs: 0, finished: false };
      this.tracks.set(trackId, track);
    } else if (!track.speakerLabel && speakerLabel) {
      track.speakerLabel = speakerLabel;
    }
    return track;
  }

  /** Whether a frame is new (write it), a redelivery (ignore), or arrived after its track finished. */
  classifyFrame(track: TrackProgress, sequence: number): FrameDecision {
    if (track.finished || this.completed) return 'late';
    if (track.lastSequence !== undefined && sequence <= track.lastSequence) return 'duplicate';
    return 'write';
  }

  recordWritten(track: TrackProgress, sequence: number): void {
    track.lastSequence = sequence;
  }

  markEnded(lastSequenceByTrack: Record<string, number>): void {
    this.lastSequenceByTrack = new Map(Object.entries(lastSequenceByTrack).map(([k, v]) => [k, Number(v)]));
  }

  /** True when the track has every frame it will get and can be ended. */
  isTrackComplete(track: TrackProgress): boolean {
    if (!this.lastSequenceByTrack || track.finished) return false;
    const last = this.lastSequenceByTrack.get(track.trackId);
    // A track missing from last_sequence_by_track got no audio according to ingest: whatever
    // we have of it is all there is.
    if (last === undefined) return true;
    return track.lastSequence !== undefined && track.lastSequence >= last;
  }

  /** Tracks that can be finished now. */
  completeTracks(): TrackProgress[] {
    return [...this.tracks.values()].filter((t) => this.isTrackComplete(t));
  }

  /** True when MeetingEnded was seen and every announced and every seen track is finished. */
  allTracksFinished(): boolean {
    if (!this.lastSequenceByTrack) return false;
    for (const trackId of this.lastSequenceByTrack.keys()) {
      const track = this.tracks.get(trackId);
      if (!track || !track.finished) return false;
    }
    for (const track of this.tracks.values()) if (!track.finished) return false;
    return true;
  }
}
