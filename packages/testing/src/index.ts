export * from './speech/wer';
export * from './speech/wav';
export * from './speech/flite';
export * from './infra/infra-env';
