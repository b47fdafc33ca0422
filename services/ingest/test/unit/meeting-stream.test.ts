import { AudioEncoding, type StartMeeting, type StreamMeetingRequest } from '@confide/contracts';
import { AppError } from '@confide/platform';
import { MAX_FRAME_BYTES, MIN_FRAME_BYTES, MeetingStream, MIXED_SPEAKER_LABEL, type MeetingStreamStep } from '../../src/domain/meeting-stream';

const validStart = (overrides: Partial<StartMeeting> = {}): StartMeeting => ({
  tenantId: 'tenant-a',
  meetingId: 'meeting-1',
  title: 'Weekly sync',
  participants: [
    { id: 'alice', speakerLabel: 'Alice' },
    { id: 'bob', speakerLabel: 'Bob' },
  ],
  audioFormat: { encoding: AudioEncoding.AUDIO_ENCODING_PCM16LE, sampleRateHz: 16000, channels: 1 },
  recordingConsent: true,
  ...overrides,
});

const start = (overrides: Partial<StartMeeting> = {}): StreamMeetingRequest => ({
  message: { $case: 'start', start: validStart(overrides) },
});
const audio = (trackId: string, sequence: number, bytes = 640): StreamMeetingRequest => ({
  message: { $case: 'audio', audio: { trackId, sequence, data: Buffer.alloc(bytes) } },
});
const end: StreamMeetingRequest = { message: { $case: 'end', end: {} } };

function expectRejection(fn: () => unknown, kind: AppError['kind'], message: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).kind).toBe(kind);
  if (typeof message === 'string') expect((caught as AppError).message).toBe(message);
  else expect((caught as AppError).message).toMatch(message);
}

function started(overrides: Partial<StartMeeting> = {}): MeetingStream {
  const stream = new MeetingStream();
  stream.accept(start(overrides));
  return stream;
}

function frameOf(step: MeetingStreamStep) {
  if (step.kind !== 'audio') throw new Error(`expected an audio step, got ${step.kind}`);
  return step.frame;
}

describe('MeetingStream: the first message', () => {
  it.each([
    ['audio', audio('alice', 1)],
    ['end', end],
    ['empty', { message: undefined } as StreamMeetingRequest],
  ])('rejects %s before start with FAILED_PRECONDITION', (_name, request) => {
    expectRejection(() => new MeetingStream().accept(request), 'failed-precondition', 'the first message must be a start message');
  });

  it('accepts a valid start and returns the validated meeting', () => {
    const stream = new MeetingStream();
    const step = stream.accept(start());
    expect(step).toEqual({
      kind: 'started',
      meeting: {
        tenantId: 'tenant-a',
        meetingId: 'meeting-1',
        title: 'Weekly sync',
        participants: [
          { id: 'alice', speakerLabel: 'Alice' },
          { id: 'bob', speakerLabel: 'Bob' },
        ],
        recordingConsent: true,
      },
    });
    expect(stream.state).toBe('streaming');
  });

  it('rejects a second start with FAILED_PRECONDITION', () => {
    const stream = started();
    expectRejection(() => stream.accept(start()), 'failed-precondition', /already started/);
  });
});

describe('MeetingStream: start validation', () => {
  it.each<[string, Partial<StartMeeting>, string | RegExp]>([
    ['missing tenant_id', { tenantId: '' }, 'tenant_id is required'],
    ['malformed tenant_id', { tenantId: 'tenant a' }, 'tenant_id must be 1-128 characters of [A-Za-z0-9._:-]'],
    ['too long tenant_id', { tenantId: 'x'.repeat(129) }, 'tenant_id must be 1-128 characters of [A-Za-z0-9._:-]'],
    ['missing meeting_id', { meetingId: '' }, 'meeting_id is required'],
    ['malformed meeting_id', { meetingId: 'a/b' }, 'meeting_id must be 1-128 characters of [A-Za-z0-9._:-]'],
    ['no participants', { participants: [] }, 'at least one participant is required'],
    ['participant without id', { participants: [{ id: '', speakerLabel: 'A' }] }, 'participants[0].id is required'],
    ['malformed participant id', { participants: [{ id: 'a b', speakerLabel: 'A' }] }, /participants\[0\]\.id must be/],
    [
      'duplicate participant ids',
      { participants: [{ id: 'p1', speakerLabel: 'A' }, { id: 'p1', speakerLabel: 'B' }] },
      'participants[1].id "p1" is a duplicate; participant ids must be unique',
    ],
    ['empty speaker label', { participants: [{ id: 'p1', speakerLabel: '  ' }] }, 'participants[0].speaker_label must not be empty'],
    ['reserved participant id', { participants: [{ id: 'mixed', speakerLabel: 'A' }] }, /reserved for the mixed audio track/],
    ['missing audio format', { audioFormat: undefined }, 'audio_format is required; supported: PCM16LE 16000 Hz 1 channel'],
    [
      'wrong sample rate',
      { audioFormat: { encoding: AudioEncoding.AUDIO_ENCODING_PCM16LE, sampleRateHz: 48000, channels: 1 } },
      'unsupported audio format: received PCM16LE 48000 Hz 1 channel(s); supported: PCM16LE 16000 Hz 1 channel',
    ],
    [
      'stereo',
      { audioFormat: { encoding: AudioEncoding.AUDIO_ENCODING_PCM16LE, sampleRateHz: 16000, channels: 2 } },
      'unsupported audio format: received PCM16LE 16000 Hz 2 channel(s); supported: PCM16LE 16000 Hz 1 channel',
    ],
    [
      'unspecified encoding',
      { audioFormat: { encoding: AudioEncoding.AUDIO_ENCODING_UNSPECIFIED, sampleRateHz: 16000, channels: 1 } },
      'unsupported audio format: received unspecified encoding 16000 Hz 1 channel(s); supported: PCM16LE 16000 Hz 1 channel',
    ],
  ])('rejects %s with INVALID_ARGUMENT', (_name, overrides, message) => {
    expectRejection(() => new MeetingStream().accept(start(overrides)), 'invalid-argument', message);
  });

  it('rejects a start without recording consent with FAILED_PRECONDITION', () => {
    expectRejection(() => new MeetingStream().accept(start({ recordingConsent: false })), 'failed-precondition', 'recording consent is required');
  });

  it('never echoes a speaker label in an error', () => {
    const label = 'Very Private Name';
    const participants = [
      { id: 'p1', speakerLabel: label },
      { id: 'p1', speakerLabel: label },
    ];
    try {
      new MeetingStream().accept(start({ participants }));
      throw new Error('expected a rejection');
    } catch (err) {
      expect((err as Error).message).not.toContain(label);
    }
  });

  it('is failed after a rejection and accepts nothing more', () => {
    const stream = new MeetingStream();
    expect(() => stream.accept(start({ participants: [] }))).toThrow(AppError);
    expect(stream.state).toBe('failed');
    expectRejection(() => stream.accept(start()), 'failed-precondition', 'the stream has already failed');
  });
});

describe('MeetingStream: audio frames', () => {
  it('rejects an unknown track', () => {
    expectRejection(() => started().accept(audio('carol', 1)), 'invalid-argument', 'unknown track "carol": track_id must be a participant id or "mixed"');
  });

  it('rejects a missing track id', () => {
    expectRejection(() => started().accept(audio('', 1)), 'invalid-argument', 'audio.track_id is required');
  });

  it.each([
    ['too small', MIN_FRAME_BYTES - 2],
    ['too large', MAX_FRAME_BYTES + 2],
    ['empty', 0],
  ])('rejects a %s frame, stating its size and the limits', (_name, bytes) => {
    expectRejection(
      () => started().accept(audio('alice', 1, bytes)),
      'invalid-argument',
      `audio frame on track alice is ${bytes} bytes; frames must be 640-6400 bytes (20-200 ms of PCM16LE 16000 Hz mono)`,
    );
  });

  it('rejects an odd-length frame', () => {
    expectRejection(
      () => started().accept(audio('alice', 1, 641)),
      'invalid-argument',
      'audio frame on track alice is 641 bytes; the length must be even (16-bit samples)',
    );
  });

  it('accepts the frame size limits', () => {
    const stream = started();
    expect(frameOf(stream.accept(audio('alice', 1, MIN_FRAME_BYTES))).data.length).toBe(640);
    expect(frameOf(stream.accept(audio('alice', 2, MAX_FRAME_BYTES))).data.length).toBe(6400);
  });

  it('rejects a duplicate sequence on a track', () => {
    const stream = started();
    stream.accept(audio('alice', 5));
    expectRejection(() => stream.accept(audio('alice', 5)), 'invalid-argument', 'duplicate sequence 5 on track alice');
  });

  it('rejects an out-of-order sequence on a track', () => {
    const stream = started();
    stream.accept(audio('alice', 5));
    expectRejection(() => stream.accept(audio('alice', 3)), 'invalid-argument', 'out-of-order sequence 3 on track alice (last was 5)');
  });

  it('keeps sequences per track and allows gaps forward', () => {
    const stream = started();
    stream.accept(audio('alice', 5));
    expect(frameOf(stream.accept(audio('bob', 1))).sequence).toBe(1);
    expect(frameOf(stream.accept(audio('alice', 9))).sequence).toBe(9);
  });

  it('computes offsets per track from the bytes received on that track', () => {
    const stream = started();
    const offsets = [
      frameOf(stream.accept(audio('alice', 0, 640))), // 20 ms
      frameOf(stream.accept(audio('bob', 0, 3200))), // 100 ms
      frameOf(stream.accept(audio('alice', 1, 6400))), // 200 ms
      frameOf(stream.accept(audio('alice', 2, 960))), // 30 ms
      frameOf(stream.accept(audio('bob', 1, 640))),
    ].map((f) => [f.trackId, f.offsetMs, f.speakerLabel]);
    expect(offsets).toEqual([
      ['alice', 0, 'Alice'],
      ['bob', 0, 'Bob'],
      ['alice', 20, 'Alice'],
      ['alice', 220, 'Alice'],
      ['bob', 100, 'Bob'],
    ]);
  });

  it('accepts the mixed track, labelled with the only participant or a generic label', () => {
    expect(frameOf(started({ participants: [{ id: 'p1', speakerLabel: 'Solo' }] }).accept(audio('mixed', 1))).speakerLabel).toBe('Solo');
    expect(frameOf(started().accept(audio('mixed', 1))).speakerLabel).toBe(MIXED_SPEAKER_LABEL);
  });

  it('does not mix the mixed track with participant tracks in one stream', () => {
    const mixedFirst = started();
    mixedFirst.accept(audio('mixed', 1));
    expectRejection(() => mixedFirst.accept(audio('alice', 1)), 'invalid-argument', /per-participant track "alice" cannot be used/);
    const participantFirst = started();
    participantFirst.accept(audio('alice', 1));
    expectRejection(() => participantFirst.accept(audio('mixed', 1)), 'invalid-argument', /track "mixed" cannot be used/);
  });

  it('rejects an empty message after start', () => {
    expectRejection(() => started().accept({ message: undefined }), 'invalid-argument', /exactly one of start, audio or end/);
  });
});

describe('MeetingStream: end', () => {
  it('reports the last sequence per track that received audio', () => {
    const stream = started();
    stream.accept(audio('alice', 1));
    stream.accept(audio('alice', 2));
    stream.accept(audio('bob', 7));
    expect(stream.accept(end)).toEqual({ kind: 'ended', lastSequenceByTrack: { alice: 2, bob: 7 } });
    expect(stream.state).toBe('ended');
  });

  it('rejects audio after end with FAILED_PRECONDITION', () => {
    const stream = started();
    stream.accept(end);
    expectRejection(() => stream.accept(audio('alice', 1)), 'failed-precondition', 'audio received after the end message');
  });

  it('rejects any other message after end with FAILED_PRECONDITION', () => {
    const stream = started();
    stream.accept(end);
    expectRejection(() => stream.accept(end), 'failed-precondition', 'no messages are accepted after the end message');
  });
});
