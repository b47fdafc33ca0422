import * as grpc from '@grpc/grpc-js';
import { grpcClientCredentials } from '@confide/platform';
import {
  AudioEncoding,
  IngestServiceClient,
  type Alert,
  type MeetingCompleted,
  type Report,
  type StreamMeetingRequest,
  type StreamMeetingResponse,
  type TranscriptSegment,
} from '@confide/contracts';

const BYTES_PER_MS = 32; // PCM16LE, 16 kHz, mono

export interface StreamMeetingInput {
  address: string;
  /**
   * The streaming user's OIDC access token, sent as `authorization: Bearer <token>` call
   * metadata; ingest decides `meeting:stream` for it on the tenant and meeting below.
   */
  token: string;
  tenantId: string;
  meetingId: string;
  title: string;
  participants: Array<{ id: string; speakerLabel: string }>;
  /** PCM16LE 16 kHz mono audio per participant id (its track). */
  tracks: Map<string, Buffer>;
  /** Frame length; 20–200 ms. */
  frameMs?: number;
  /** Pace frames at real time (a live meeting); false sends as fast as backpressure allows. */
  realtime: boolean;
  onSegment?: (segment: TranscriptSegment) => void;
  onAlert?: (alert: Alert) => void;
  signal?: AbortSignal;
  /** Channel credentials (TLS towards an ingest that serves TLS); default plaintext, to a loopback address only. */
  credentials?: grpc.ChannelCredentials;
}

export interface StreamMeetingResult {
  finals: TranscriptSegment[];
  partialCount: number;
  /** Partials received before the first final of the same segment id. */
  partialsBeforeFinal: number;
  alerts: Alert[];
  report: Report | undefined;
  completed: MeetingCompleted | undefined;
}

/**
 * A client of IngestService.StreamMeeting: sends start, the tracks' frames interleaved in
 * time order, then end; collects what the server streams back until it completes.
 */
export async function streamMeetingAudio(input: StreamMeetingInput): Promise<StreamMeetingResult> {
  const frameMs = input.frameMs ?? 100;
  const frameBytes = frameMs * BYTES_PER_MS;
  const client = new IngestServiceClient(input.address, input.credentials ?? grpcClientCredentials(input.address, undefined));
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${input.token}`);
  const call = client.streamMeeting(metadata);
  const result: StreamMeetingResult = {
    finals: [],
    partialCount: 0,
    partialsBeforeFinal: 0,
    alerts: [],
    report: undefined,
    completed: undefined,
  };
  const finalIds = new Set<string>();

  const done = new Promise<void>((resolve, reject) => {
    call.on('data', (res: StreamMeetingResponse) => {
      const m = res.message;
      if (!m) return;
      switch (m.$case) {
        case 'segment':
          if (m.segment.isFinal) {
            finalIds.add(m.segment.segmentId);
            result.finals.push(m.segment);
          } else {
            result.partialCount++;
            if (!finalIds.has(m.segment.segmentId)) result.partialsBeforeFinal++;
          }
          input.onSegment?.(m.segment);
          break;
        case 'alert':
          result.alerts.push(m.alert);
          input.onAlert?.(m.alert);
          break;
        case 'report':
          result.report = m.report;
          break;
        case 'completed':
          result.completed = m.completed;
          break;
        default:
          break;
      }
    });
    call.on('error', reject);
    call.on('end', () => resolve());
  });
  // Surface stream errors even while we are still writing.
  let streamError: unknown;
  done.catch((err: unknown) => {
    streamError = err;
  });

  const write = async (req: StreamMeetingRequest): Promise<void> => {
    if (streamError) throw streamError;
    if (!call.write(req)) await new Promise<void>((resolve) => call.once('drain', resolve));
  };
  const abort = (): void => call.cancel();
  input.signal?.addEventListener('abort', abort, { once: true });

  try {
    await write({
      message: {
        $case: 'start',
        start: {
          tenantId: input.tenantId,
          meetingId: input.meetingId,
          title: input.title,
          participants: input.participants.map((p) => ({ id: p.id, speakerLabel: p.speakerLabel })),
          audioFormat: { encoding: AudioEncoding.AUDIO_ENCODING_PCM16LE, sampleRateHz: 16000, channels: 1 },
          recordingConsent: true,
        },
      },
    });
    const longest = Math.max(0, ...[...input.tracks.values()].map((b) => b.length));
    const frames = Math.ceil(longest / frameBytes);
    const startedAt = Date.now();
    for (let i = 0; i < frames; i++) {
      for (const [trackId, pcm] of input.tracks) {
        const offset = i * frameBytes;
        if (offset >= pcm.length) continue;
        // The last frame is padded with silence to a whole frame.
        const data = Buffer.alloc(frameBytes);
        pcm.copy(data, 0, offset, Math.min(offset + frameBytes, pcm.length));
        await write({ message: { $case: 'audio', audio: { sequence: i + 1, trackId, data } } });
      }
      if (input.realtime) {
        const due = startedAt + (i + 1) * frameMs;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }
    await write({ message: { $case: 'end', end: {} } });
    call.end();
    await done;
    return result;
  } finally {
    input.signal?.removeEventListener('abort', abort);
    client.close();
  }
}
