export { createIngestModule, type IngestModuleDeps } from './ingest.module';
export { ingestConfigSchema, type IngestConfig, type IngestModuleConfig } from './config';
export { ingestRelayGroupId } from './adapters/bus/meeting-relay.consumer';
export { INGEST_SERVICE_NAME } from './adapters/grpc/meeting.grpc';
export {
  MeetingStream,
  validateStart,
  MIXED_TRACK_ID,
  MIN_FRAME_BYTES,
  MAX_FRAME_BYTES,
  BYTES_PER_MS,
  type AcceptedFrame,
  type MeetingStreamStep,
  type StartedMeeting,
} from './domain/meeting-stream';
export { PolicyStreamAccess, bearerTokenOf, type PolicyStreamAccessDeps } from './adapters/policy/policy.stream-access';
export type { StreamAccess } from './ports/stream-access.port';
