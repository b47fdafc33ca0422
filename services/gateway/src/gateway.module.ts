import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError, isLoopbackHost, parseHostPort, type Logger, type ServiceModule } from '@confide/platform';
import { GrpcLifecycleClient } from './adapters/grpc/lifecycle.grpc-client';
import { GrpcStorageClient } from './adapters/grpc/storage.grpc-client';
import { createGatewayApp } from './adapters/http/gateway.app';
import type { GatewayConfig } from './config';
import type { LifecyclePort } from './ports/lifecycle.port';
import type { StoragePort } from './ports/storage.port';

export interface GatewayModuleDeps {
  logger: Logger;
  config: GatewayConfig;
  /** Default: gRPC clients to STORAGE_GRPC_ADDR / LIFECYCLE_GRPC_ADDR. */
  storage?: StoragePort;
  lifecycle?: LifecyclePort;
}

export interface GatewayModule extends ServiceModule {
  /** The bound HTTP port once started (GATEWAY_HTTP_ADDR may ask for port 0). */
  readonly httpPort: number | undefined;
}

/**
 * The gateway as a module: an HTTP server over the REST app. It serves no gRPC services;
 * it calls storage and lifecycle. Loopback only until TLS and authentication land.
 */
export function createGatewayModule(deps: GatewayModuleDeps): GatewayModule {
  const logger = deps.logger.child({ module: 'gateway' });
  const { config } = deps;
  const portOptions = { deadlineMs: config.GATEWAY_DOWNSTREAM_DEADLINE };
  const ownedClients: Array<{ close(): void }> = [];
  let storage = deps.storage;
  let lifecycle = deps.lifecycle;
  let server: Server | undefined;
  let httpPort: number | undefined;

  const clients = (): { storage: StoragePort; lifecycle: LifecyclePort } => {
    if (!storage) {
      const client = new GrpcStorageClient(config.STORAGE_GRPC_ADDR, portOptions);
      ownedClients.push(client);
      storage = client;
    }
    if (!lifecycle) {
      const client = new GrpcLifecycleClient(config.LIFECYCLE_GRPC_ADDR, portOptions);
      ownedClients.push(client);
      lifecycle = client;
    }
    return { storage, lifecycle };
  };

  return {
    name: 'gateway',
    grpcServices: [],
    get httpPort() {
      return httpPort;
    },
    async start() {
      if (server) return;
      const address = parseHostPort(config.GATEWAY_HTTP_ADDR);
      if (!address) throw new AppError('invalid-argument', 'GATEWAY_HTTP_ADDR must be host:port');
      if (!isLoopbackHost(address.host)) {
        throw new AppError('failed-precondition', 'GATEWAY_HTTP_ADDR must be a loopback address until TLS and authentication land');
      }
      const host = address.host.replace(/^\[(.*)\]$/, '$1');
      const app = createGatewayApp({ ...clients(), logger, jsonBodyLimit: config.GATEWAY_JSON_BODY_LIMIT_BYTES });
      const created = createServer(app);
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen(address.port, host, () => {
          created.off('error', reject);
          resolve();
        });
      });
      server = created;
      httpPort = (created.address() as AddressInfo).port;
      logger.info({ host, port: httpPort }, 'gateway listening');
    },
    async stop() {
      const current = server;
      server = undefined;
      if (current) {
        await new Promise<void>((resolve) => {
          current.close(() => resolve());
          current.closeIdleConnections();
        });
      }
      for (const client of ownedClients.splice(0)) client.close();
    },
    async ready() {
      const peers = clients();
      const [s, l] = await Promise.all([peers.storage.ready(), peers.lifecycle.ready()]);
      return s && l;
    },
  };
}
