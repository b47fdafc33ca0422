import { EventPublisher, systemClock, type Clock, type EventBus, type Logger, type RpcAuthorizationDeps, type ServiceModule, type Subscription } from '@confide/platform';
import { BusTranscriptEvents } from './adapters/bus/transcript-events.publisher';
import { subscribeTranscription } from './adapters/bus/transcription.consumer';
import { transcriptionGrpcService } from './adapters/grpc/transcription.grpc';
import type { SttEngine } from './ports/stt-engine.port';
import { TranscribeMeetingAudio, type AudioKeyShredder } from './use-cases/transcribe-meeting-audio.use-case';

export interface TranscriptionModuleDeps {
  logger: Logger;
  bus: EventBus;
  engine: SttEngine;
  /** Authorizes TranscriptionService calls (caller service + end user); required, there is no open mode. */
  authorization: RpcAuthorizationDeps;
  clock?: Clock;
  /** Destroys each meeting's audio key once its transcription completed (the process's MeetingKeyring). */
  audioKeys?: AudioKeyShredder;
}

/**
 * The transcription service as a module: consumes meeting and audio events (group
 * `transcription`), transcribes each track with the SttEngine, publishes segments and
 * TranscriptionCompleted to confide.transcript.v1, and serves TranscriptionService.
 */
export function createTranscriptionModule(deps: TranscriptionModuleDeps): ServiceModule {
  const logger = deps.logger.child({ module: 'transcription' });
  const clock = deps.clock ?? systemClock;
  const events = new BusTranscriptEvents(new EventPublisher(deps.bus, { clock }));
  const useCase = new TranscribeMeetingAudio({ engine: deps.engine, events, logger, clock, ...(deps.audioKeys ? { audioKeys: deps.audioKeys } : {}) });
  let subscription: Subscription | undefined;

  return {
    name: 'transcription',
    grpcServices: [transcriptionGrpcService(deps.engine, logger, deps.authorization)],
    async start() {
      if (subscription) return;
      subscription = await subscribeTranscription({ bus: deps.bus, useCase, logger });
      logger.info({ engine: deps.engine.info.engine }, 'transcription consumer subscribed');
    },
    async stop() {
      const current = subscription;
      subscription = undefined;
      await current?.close();
      useCase.stop();
    },
    async ready() {
      return subscription !== undefined;
    },
  };
}
