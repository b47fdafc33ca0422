// errors
export * from './errors/app-error';
// runtime
export * from './runtime/service-module';
export * from './runtime/clock';
export * from './runtime/ids';
export * from './runtime/shutdown';
// config
export * from './config/config.error';
export * from './config/load-config';
export * from './config/schema.helpers';
// logging
export * from './logging/logger';
// event-bus
export * from './event-bus/event-bus.port';
export * from './event-bus/topics';
export * from './event-bus/in-process.event-bus';
export * from './event-bus/kafka.event-bus';
export * from './event-bus/murmur2';
export * from './event-bus/event-type';
export * from './event-bus/poison-message.error';
export * from './event-bus/event-publisher';
export * from './event-bus/event-router';
// telemetry (trace context)
export * from './telemetry/trace-context';
// kms + envelope crypto
export * from './kms';
export * from './crypto';
// keys: key registry, meeting keyring, payload encryption on the bus
export * from './keys';
// grpc
export * from './grpc/status-mapping';
export * from './grpc/proto-root';
export * from './grpc/grpc.server';
export * from './grpc/unary.handler';
export * from './grpc/grpc.client';
export * from './grpc/caller-check';
export * from './tls';
export * from './telemetry/telemetry';
// runtime: composition
export * from './runtime/service-runner';
export * from './runtime/event-bus.factory';
export * from './runtime/audit-bus.factory';
// authorization (OPA) and identity (OIDC, service assertions)
export * from './policy';
export * from './identity';
