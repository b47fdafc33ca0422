export * from './data-key-cache';
export * from './key-names';
export * from './kms.errors';
export * from './kms.port';
export * from './local.kms';
export * from './vault-transit.kms';
export * from './wrapped-key-store.port';
