export { createTranscriptionModule, type TranscriptionModuleDeps } from './transcription.module';
export { createPocketsphinxEngine } from './adapters/pocketsphinx/create-pocketsphinx-engine';
export { PocketsphinxSttEngine, type PocketsphinxEngineOptions } from './adapters/pocketsphinx/pocketsphinx.stt-engine';
export {
  transcriptionConfigSchema,
  DEFAULT_POCKETSPHINX_BINARY,
  type TranscriptionConfig,
  type PocketsphinxEngineConfig,
} from './config';
export { TRANSCRIPTION_GROUP_ID } from './adapters/bus/transcription.consumer';
export { TRANSCRIPTION_SERVICE_NAME } from './adapters/grpc/transcription.grpc';
export type { SttEngine, SttEngineInfo, SttResult, SttSession, SttSessionOptions } from './ports/stt-engine.port';
export { segmentId } from './domain/segment';
