import type * as grpc from '@grpc/grpc-js';

/**
 * A service as a module (ARCHITECTURE.md "Modes"): it registers its gRPC services on a
 * server it is handed, starts its consumers, and stops cleanly. Its own `main.ts` composes
 * it alone (microservices mode); packages/cli composes all six in one process (all-in-one).
 */
export interface ServiceModule {
  readonly name: string;
  /** gRPC services this module serves, registered on the host server before it starts. */
  readonly grpcServices: GrpcServiceRegistration[];
  /** Starts consumers and background work; resolves when ready to serve. */
  start(): Promise<void>;
  /** Stops consumers (unacknowledged messages are redelivered) and releases resources. */
  stop(): Promise<void>;
  /** Readiness of the module's dependencies, for the health service. */
  ready?(): Promise<boolean>;
}

export interface GrpcServiceRegistration {
  /** Fully qualified service name, e.g. "confide.ingest.v1.IngestService" (for health). */
  name: string;
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}
