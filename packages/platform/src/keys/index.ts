export * from './key-registry.port';
export * from './in-memory.key-registry';
export * from './registry.wrapped-key-store';
export * from './tenant-key.provisioning-kms';
export * from './meeting-keyring';
export * from './payload-protector';
export * from './protected.event-bus';
export * from './grpc.key-registry';
