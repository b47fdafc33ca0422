import {
  TranscriptionServiceService,
  type DescribeEngineRequest,
  type DescribeEngineResponse,
  type TranscriptionServiceServer,
} from '@confide/contracts';
import { unaryHandler, type GrpcServiceRegistration, type Logger } from '@confide/platform';
import type { SttEngine } from '../../ports/stt-engine.port';

export const TRANSCRIPTION_SERVICE_NAME = 'confide.transcription.v1.TranscriptionService';

/** TranscriptionService: describes the engine, so an operator can see where audio goes. */
export function transcriptionGrpcService(engine: SttEngine, logger: Logger): GrpcServiceRegistration {
  const implementation: TranscriptionServiceServer = {
    describeEngine: unaryHandler<DescribeEngineRequest, DescribeEngineResponse>(logger, async () => ({
      engine: engine.info.engine,
      language: engine.info.language,
      destination: engine.info.destination,
      activeSessions: engine.activeSessions(),
    })),
  };
  return { name: TRANSCRIPTION_SERVICE_NAME, definition: TranscriptionServiceService, implementation };
}
