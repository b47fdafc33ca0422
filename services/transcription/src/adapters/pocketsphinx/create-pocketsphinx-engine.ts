import type { Logger } from '@confide/platform';
import { DEFAULT_POCKETSPHINX_BINARY, type PocketsphinxEngineConfig } from '../../config';
import { PocketsphinxSttEngine } from './pocketsphinx.stt-engine';

/** The local pocketsphinx engine from configuration (defaults: native/bin/ps-stream, Debian model). */
export function createPocketsphinxEngine(config: PocketsphinxEngineConfig = {}, logger?: Logger): PocketsphinxSttEngine {
  return new PocketsphinxSttEngine({
    binaryPath: config.POCKETSPHINX_BINARY ?? DEFAULT_POCKETSPHINX_BINARY,
    hmmPath: config.POCKETSPHINX_HMM,
    lmPath: config.POCKETSPHINX_LM,
    dictPath: config.POCKETSPHINX_DICT,
    partialIntervalMs: config.POCKETSPHINX_PARTIAL_INTERVAL,
    language: config.STT_LANGUAGE,
    logger,
  });
}
