import {
  TranscriptionServiceService,
  type DescribeEngineRequest,
  type DescribeEngineResponse,
  type TranscriptionServiceServer,
} from '@confide/contracts';
import { authorizeRpc, unaryHandler, type GrpcServiceRegistration, type Logger, type RpcAuthorizationDeps } from '@confide/platform';
import type { SttEngine } from '../../ports/stt-engine.port';

export const TRANSCRIPTION_SERVICE_NAME = 'confide.transcription.v1.TranscriptionService';

/**
 * TranscriptionService: describes the engine, so a tenant's admin can see where its audio goes.
 * Every call is authorized (authorizeRpc): the caller service's `rpc:` action (the gateway) and
 * the end user's `settings:read` on the user's own tenant (the request names none).
 */
export function transcriptionGrpcService(engine: SttEngine, logger: Logger, authorization: RpcAuthorizationDeps): GrpcServiceRegistration {
  const implementation: TranscriptionServiceServer = {
    describeEngine: unaryHandler<DescribeEngineRequest, DescribeEngineResponse>(
      logger,
      authorizeRpc(
        authorization,
        {
          method: `${TRANSCRIPTION_SERVICE_NAME}/DescribeEngine`,
          user: { resource: (_req: DescribeEngineRequest, subject) => ({ tenant: subject.tenant, kind: 'tenant-settings' }) },
        },
        async () => ({
          engine: engine.info.engine,
          language: engine.info.language,
          destination: engine.info.destination,
          activeSessions: engine.activeSessions(),
        }),
      ),
    ),
  };
  return { name: TRANSCRIPTION_SERVICE_NAME, definition: TranscriptionServiceService, implementation };
}
