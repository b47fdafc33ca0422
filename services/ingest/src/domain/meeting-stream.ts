import { AudioEncoding, type Participant, type StartMeeting, type StreamMeetingRequest } from '@confide/contracts';
import { failedPrecondition, invalidArgument } from '@confide/platform';

/**
 * The per-stream state machine of IngestService.StreamMeeting (pure: no I/O, no clock).
 *
 *   awaiting-start --start--> streaming --audio*--> streaming --end--> ended
 *
 * Every rejection is an AppError (invalid-argument or failed-precondition) whose message
 * says what was received and what is accepted. Messages never echo speaker labels, titles
 * or audio; they name ids only when the id is well-formed.
 *
 * Tracks: a frame's track is a participant id, or `mixed` for one mixed-down track. A
 * stream carries either per-participant tracks or the single `mixed` track, never both
 * (the two would double-transcribe the same speech). `mixed` is therefore a reserved id
 * that no participant may use. Frames on the mixed track are labelled with the only
 * participant's speaker label when there is exactly one participant, else MIXED_SPEAKER_LABEL.
 */

export const MIXED_TRACK_ID = 'mixed';
export const MIXED_SPEAKER_LABEL = 'Mixed audio';

export const SUPPORTED_SAMPLE_RATE_HZ = 16_000;
export const SUPPORTED_CHANNELS = 1;
export const BYTES_PER_SAMPLE = 2;
/** 16 kHz * 1 channel * 2 bytes = 32 bytes per millisecond. */
export const BYTES_PER_MS = (SUPPORTED_SAMPLE_RATE_HZ * SUPPORTED_CHANNELS * BYTES_PER_SAMPLE) / 1000;
export const MIN_FRAME_MS = 20;
export const MAX_FRAME_MS = 200;
export const MIN_FRAME_BYTES = MIN_FRAME_MS * BYTES_PER_MS; // 640
export const MAX_FRAME_BYTES = MAX_FRAME_MS * BYTES_PER_MS; // 6400

export const MAX_ID_LENGTH = 128;
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_PARTICIPANTS = 256;
export const MAX_SPEAKER_LABEL_LENGTH = 200;
export const MAX_TITLE_LENGTH = 500;

export type MeetingStreamState = 'awaiting-start' | 'streaming' | 'ended' | 'failed';

/** A validated start message. */
export interface StartedMeeting {
  tenantId: string;
  meetingId: string;
  title: string;
  participants: Participant[];
  recordingConsent: true;
}

/** A validated audio frame with its position on its track. */
export interface AcceptedFrame {
  trackId: string;
  speakerLabel: string;
  sequence: number;
  data: Buffer;
  /** Offset of the frame from the start of its track, from the bytes received before it. */
  offsetMs: number;
}

export type MeetingStreamStep =
  | { kind: 'started'; meeting: StartedMeeting }
  | { kind: 'audio'; frame: AcceptedFrame }
  | { kind: 'ended'; lastSequenceByTrack: Record<string, number> };

interface TrackState {
  lastSequence: number;
  bytesReceived: number;
}

export function isWellFormedId(value: string): boolean {
  return ID_PATTERN.test(value);
}

function describeEncoding(encoding: AudioEncoding): string {
  switch (encoding) {
    case AudioEncoding.AUDIO_ENCODING_PCM16LE:
      return 'PCM16LE';
    case AudioEncoding.AUDIO_ENCODING_UNSPECIFIED:
      return 'unspecified encoding';
    default:
      return `encoding ${String(encoding)}`;
  }
}

const SUPPORTED_FORMAT = `PCM16LE ${SUPPORTED_SAMPLE_RATE_HZ} Hz ${SUPPORTED_CHANNELS} channel`;

/** Validates a start message; throws invalid-argument / failed-precondition. */
export function validateStart(start: StartMeeting): StartedMeeting {
  if (!start.tenantId) throw invalidArgument('tenant_id is required');
  if (!isWellFormedId(start.tenantId)) {
    throw invalidArgument(`tenant_id must be 1-${MAX_ID_LENGTH} characters of [A-Za-z0-9._:-]`);
  }
  if (!start.meetingId) throw invalidArgument('meeting_id is required');
  if (!isWellFormedId(start.meetingId)) {
    throw invalidArgument(`meeting_id must be 1-${MAX_ID_LENGTH} characters of [A-Za-z0-9._:-]`);
  }
  if (start.title.length > MAX_TITLE_LENGTH) {
    throw invalidArgument(`title is ${start.title.length} characters; at most ${MAX_TITLE_LENGTH} are allowed`);
  }
  if (start.participants.length === 0) throw invalidArgument('at least one participant is required');
  if (start.participants.length > MAX_PARTICIPANTS) {
    throw invalidArgument(`${start.participants.length} participants received; at most ${MAX_PARTICIPANTS} are allowed`);
  }
  const seen = new Set<string>();
  start.participants.forEach((p, i) => {
    if (!p.id) throw invalidArgument(`participants[${i}].id is required`);
    if (!isWellFormedId(p.id)) {
      throw invalidArgument(`participants[${i}].id must be 1-${MAX_ID_LENGTH} characters of [A-Za-z0-9._:-]`);
    }
    if (p.id === MIXED_TRACK_ID) {
      throw invalidArgument(`participants[${i}].id "${MIXED_TRACK_ID}" is reserved for the mixed audio track`);
    }
    if (seen.has(p.id)) throw invalidArgument(`participants[${i}].id "${p.id}" is a duplicate; participant ids must be unique`);
    seen.add(p.id);
    if (p.speakerLabel.trim().length === 0) throw invalidArgument(`participants[${i}].speaker_label must not be empty`);
    if (p.speakerLabel.length > MAX_SPEAKER_LABEL_LENGTH) {
      throw invalidArgument(`participants[${i}].speaker_label is longer than ${MAX_SPEAKER_LABEL_LENGTH} characters`);
    }
  });
  const format = start.audioFormat;
  if (!format) throw invalidArgument(`audio_format is required; supported: ${SUPPORTED_FORMAT}`);
  if (
    format.encoding !== AudioEncoding.AUDIO_ENCODING_PCM16LE ||
    format.sampleRateHz !== SUPPORTED_SAMPLE_RATE_HZ ||
    format.channels !== SUPPORTED_CHANNELS
  ) {
    throw invalidArgument(
      `unsupported audio format: received ${describeEncoding(format.encoding)} ${format.sampleRateHz} Hz ` +
        `${format.channels} channel(s); supported: ${SUPPORTED_FORMAT}`,
    );
  }
  if (!start.recordingConsent) throw failedPrecondition('recording consent is required');
  return {
    tenantId: start.tenantId,
    meetingId: start.meetingId,
    title: start.title,
    participants: start.participants.map((p) => ({ id: p.id, speakerLabel: p.speakerLabel })),
    recordingConsent: true,
  };
}

/**
 * One stream's state. `accept` either returns the step to carry out or throws; after a
 * rejection the stream is `failed` and accepts nothing more.
 */
export class MeetingStream {
  private current: MeetingStreamState = 'awaiting-start';
  private meeting: StartedMeeting | undefined;
  private readonly labels = new Map<string, string>();
  private readonly tracks = new Map<string, TrackState>();
  /** 'participants' or 'mixed' once the first frame fixes it. */
  private trackMode: 'participants' | 'mixed' | undefined;

  get state(): MeetingStreamState {
    return this.current;
  }

  get started(): StartedMeeting | undefined {
    return this.meeting;
  }

  accept(request: StreamMeetingRequest): MeetingStreamStep {
    try {
      return this.step(request);
    } catch (err) {
      this.current = 'failed';
      throw err;
    }
  }

  /** Last sequence seen per track (tracks that received no audio are absent). */
  lastSequenceByTrack(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [trackId, track] of this.tracks) out[trackId] = track.lastSequence;
    return out;
  }

  private step(request: StreamMeetingRequest): MeetingStreamStep {
    const message = request.message;
    if (this.current === 'failed') throw failedPrecondition('the stream has already failed');
    if (this.current === 'awaiting-start') {
      if (message?.$case !== 'start') throw failedPrecondition('the first message must be a start message');
      const meeting = validateStart(message.start);
      this.meeting = meeting;
      for (const p of meeting.participants) this.labels.set(p.id, p.speakerLabel);
      this.current = 'streaming';
      return { kind: 'started', meeting };
    }
    if (this.current === 'ended') {
      if (message?.$case === 'audio') throw failedPrecondition('audio received after the end message');
      throw failedPrecondition('no messages are accepted after the end message');
    }
    switch (message?.$case) {
      case 'start':
        throw failedPrecondition('the meeting has already started; a stream carries exactly one start message');
      case 'audio':
        return { kind: 'audio', frame: this.acceptFrame(message.audio.trackId, message.audio.sequence, message.audio.data) };
      case 'end':
        this.current = 'ended';
        return { kind: 'ended', lastSequenceByTrack: this.lastSequenceByTrack() };
      default:
        throw invalidArgument('empty message: exactly one of start, audio or end must be set');
    }
  }

  private acceptFrame(trackId: string, sequence: number, data: Buffer): AcceptedFrame {
    if (!trackId) throw invalidArgument('audio.track_id is required');
    const isMixed = trackId === MIXED_TRACK_ID;
    const label = isMixed ? this.mixedLabel() : this.labels.get(trackId);
    if (label === undefined) {
      const shown = isWellFormedId(trackId) ? `"${trackId}"` : '(malformed id)';
      throw invalidArgument(`unknown track ${shown}: track_id must be a participant id or "${MIXED_TRACK_ID}"`);
    }
    const mode = isMixed ? 'mixed' : 'participants';
    if (this.trackMode !== undefined && this.trackMode !== mode) {
      throw invalidArgument(
        isMixed
          ? `track "${MIXED_TRACK_ID}" cannot be used in a stream that already carries per-participant tracks`
          : `per-participant track "${trackId}" cannot be used in a stream that already carries the "${MIXED_TRACK_ID}" track`,
      );
    }
    const size = data.length;
    if (size < MIN_FRAME_BYTES || size > MAX_FRAME_BYTES) {
      throw invalidArgument(
        `audio frame on track ${trackId} is ${size} bytes; frames must be ${MIN_FRAME_BYTES}-${MAX_FRAME_BYTES} bytes ` +
          `(${MIN_FRAME_MS}-${MAX_FRAME_MS} ms of PCM16LE ${SUPPORTED_SAMPLE_RATE_HZ} Hz mono)`,
      );
    }
    if (size % BYTES_PER_SAMPLE !== 0) {
      throw invalidArgument(`audio frame on track ${trackId} is ${size} bytes; the length must be even (16-bit samples)`);
    }
    if (!Number.isSafeInteger(sequence) || sequence < 0) {
      throw invalidArgument(`sequence ${String(sequence)} on track ${trackId} is not a valid sequence number`);
    }
    const track = this.tracks.get(trackId);
    if (track) {
      if (sequence === track.lastSequence) throw invalidArgument(`duplicate sequence ${sequence} on track ${trackId}`);
      if (sequence < track.lastSequence) {
        throw invalidArgument(`out-of-order sequence ${sequence} on track ${trackId} (last was ${track.lastSequence})`);
      }
    }
    const bytesBefore = track?.bytesReceived ?? 0;
    this.tracks.set(trackId, { lastSequence: sequence, bytesReceived: bytesBefore + size });
    this.trackMode = mode;
    return {
      trackId,
      speakerLabel: label,
      sequence,
      data,
      offsetMs: Math.floor(bytesBefore / BYTES_PER_MS),
    };
  }

  private mixedLabel(): string {
    const participants = this.meeting?.participants ?? [];
    return participants.length === 1 ? (participants[0] as Participant).speakerLabel : MIXED_SPEAKER_LABEL;
  }
}
