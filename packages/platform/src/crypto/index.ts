export * from './aad';
export * from './crypto.errors';
export * from './envelope.cipher';
