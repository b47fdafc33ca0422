import type * as grpc from '@grpc/grpc-js';
import {
  IngestServiceService,
  type IngestServiceServer,
  type StreamMeetingRequest,
  type StreamMeetingResponse,
} from '@confide/contracts';
import { cancelled, markCallerChecked, toServiceError, type GrpcServiceRegistration, type Logger } from '@confide/platform';
import type { ResponseSink } from '../../ports/response-sink.port';
import type { StreamMeetingUseCase } from '../../use-cases/stream-meeting.use-case';
import { bearerTokenOf } from '../policy/policy.stream-access';

type MeetingCall = grpc.ServerDuplexStream<StreamMeetingRequest, StreamMeetingResponse>;

export const INGEST_SERVICE_NAME = 'confide.ingest.v1.IngestService';

/**
 * Writes to the call with flow control: when `write` returns false the next send waits for
 * 'drain'. Rejects (CANCELLED) once the call is cancelled or closed.
 */
export class CallResponseSink implements ResponseSink {
  constructor(private readonly call: MeetingCall) {}

  send(response: StreamMeetingResponse): Promise<void> {
    const call = this.call;
    if (call.cancelled || call.destroyed || call.writableEnded) {
      return Promise.reject(cancelled('the stream is closed'));
    }
    if (call.write(response)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        call.off('drain', onDrain);
        call.off('close', onGone);
        call.off('cancelled', onGone);
      };
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onGone = (): void => {
        cleanup();
        reject(cancelled('the stream is closed'));
      };
      call.on('drain', onDrain);
      call.on('close', onGone);
      call.on('cancelled', onGone);
    });
  }
}

/** The IngestService implementation over the StreamMeeting use case. */
export function ingestGrpcService(useCase: StreamMeetingUseCase, logger: Logger): GrpcServiceRegistration {
  const implementation: IngestServiceServer = {
    // The caller is decided by the use case at the start message (StreamAccess: the bearer token
    // and meeting:stream), before anything is published.
    streamMeeting: markCallerChecked((call: MeetingCall) => {
      void handleStreamMeeting(call, useCase, logger);
    }),
  };
  return { name: INGEST_SERVICE_NAME, definition: IngestServiceService, implementation };
}

async function handleStreamMeeting(call: MeetingCall, useCase: StreamMeetingUseCase, logger: Logger): Promise<void> {
  const controller = new AbortController();
  const onCancelled = (): void => controller.abort();
  call.on('cancelled', onCancelled);
  // Pausing the iteration pauses reading from the transport (HTTP/2 flow control).
  const requests = call.iterator({ destroyOnReturn: false }) as AsyncIterable<StreamMeetingRequest>;
  try {
    // The end user's access token (`authorization: Bearer <jwt>`), decided at the start message.
    const bearerToken = bearerTokenOf(call.metadata.get('authorization'));
    await useCase.run(requests, new CallResponseSink(call), controller.signal, { bearerToken });
    call.end();
  } catch (err) {
    // Cancelled by the client: nobody is listening for a status (the use case logged it).
    if (controller.signal.aborted || call.cancelled) return;
    call.emit('error', toServiceError(err, logger));
  } finally {
    call.off('cancelled', onCancelled);
  }
}
