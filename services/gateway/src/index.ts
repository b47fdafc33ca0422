export { createGatewayModule, type GatewayModule, type GatewayModuleDeps } from './gateway.module';
export { gatewayConfigSchema, type GatewayConfig } from './config';
export { createGatewayApp, type GatewayAppDeps } from './adapters/http/gateway.app';
export type { StoragePort, CallContext, MeetingRef, MeetingPage } from './ports/storage.port';
export type { LifecyclePort, DeleteMeetingCommand } from './ports/lifecycle.port';
export { TENANT_HEADER, REQUEST_ID_HEADER } from './adapters/http/request-context';
