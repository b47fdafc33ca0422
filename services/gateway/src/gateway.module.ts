import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  AppError,
  grpcClientCredentials,
  httpsServerOptions,
  isLoopbackHost,
  loadTlsSettings,
  parseHostPort,
  type Logger,
  type ServiceModule,
  type TlsSettings,
} from '@confide/platform';
import { GrpcLifecycleClient } from './adapters/grpc/lifecycle.grpc-client';
import { GrpcLifecycleRecordsClient } from './adapters/grpc/lifecycle-records.grpc-client';
import { GrpcStorageClient } from './adapters/grpc/storage.grpc-client';
import { GrpcTenantKeysClient } from './adapters/grpc/tenant-keys.grpc-client';
import { createGatewayApp } from './adapters/http/gateway.app';
import type { GatewayConfig } from './config';
import { buildGatewayAccess, type GatewayAccess } from './gateway.access';
import type { LifecyclePort } from './ports/lifecycle.port';
import type { LifecycleRecordsPort } from './ports/lifecycle-records.port';
import type { StoragePort } from './ports/storage.port';
import type { TenantKeysPort } from './ports/tenant-keys.port';
import type { ProcessingPort } from './ports/processing.port';
import { GrpcProcessingClient } from './adapters/grpc/processing.grpc-client';

export interface GatewayModuleDeps {
  logger: Logger;
  config: GatewayConfig;
  /** Default: gRPC clients to STORAGE_GRPC_ADDR / LIFECYCLE_GRPC_ADDR. */
  storage?: StoragePort;
  lifecycle?: LifecyclePort;
  /** Default: gRPC clients of lifecycle's AccessGrantService, AuditService, CertificateService at LIFECYCLE_GRPC_ADDR. */
  records?: LifecycleRecordsPort;
  /** Default: a gRPC client of storage's KeyRegistryService at STORAGE_GRPC_ADDR (tenant-key rotation and status). */
  tenantKeys?: TenantKeysPort;
  /** Default: gRPC clients of TranscriptionService / InsightsService when TRANSCRIPTION_GRPC_ADDR and INSIGHTS_GRPC_ADDR are set; else none (404). */
  processing?: ProcessingPort;
  /**
   * TLS material; default: read once from TLS_CERT_FILE / TLS_KEY_FILE / TLS_CA_FILE of
   * `config` (`loadTlsSettings`). `null` forces plaintext (loopback only).
   */
  tls?: TlsSettings | null;
  /**
   * Authentication and authorization of the REST app (see GatewayAppDeps). Whatever is not
   * injected is built from `config` at start (buildGatewayAccess: OIDC_*, POLICY_WASM_PATH,
   * SUBJECT_ASSERTION_KEY_FILE). There is no unauthenticated mode.
   */
  access?: GatewayAccess;
}

export interface GatewayModule extends ServiceModule {
  /** The bound HTTP port once started (GATEWAY_HTTP_ADDR may ask for port 0). */
  readonly httpPort: number | undefined;
  /** 'https' when TLS is configured, else 'http' (loopback only). */
  readonly httpScheme: 'http' | 'https';
}

/**
 * The gateway as a module: an HTTP server over the REST app. It serves no gRPC services;
 * it calls storage and lifecycle. With TLS configured: HTTPS, TLS 1.3 only, on any address,
 * and TLS (mTLS with TLS_CA_FILE) to the services; without: plain HTTP on loopback only, and
 * plaintext gRPC to loopback peers only. The TLS files are read here, once (ConfigError).
 */
export function createGatewayModule(deps: GatewayModuleDeps): GatewayModule {
  const logger = deps.logger.child({ module: 'gateway' });
  const { config } = deps;
  const tls = deps.tls === undefined ? loadTlsSettings(config) : (deps.tls ?? undefined);
  const portOptions = { deadlineMs: config.GATEWAY_DOWNSTREAM_DEADLINE };
  const ownedClients: Array<{ close(): void }> = [];
  let storage = deps.storage;
  let lifecycle = deps.lifecycle;
  let records = deps.records;
  let tenantKeys = deps.tenantKeys;
  let processing = deps.processing;
  let server: HttpServer | HttpsServer | undefined;
  let httpPort: number | undefined;
  let closeAccess: (() => void) | undefined;

  const clients = (): {
    storage: StoragePort;
    lifecycle: LifecyclePort;
    records: LifecycleRecordsPort;
    tenantKeys: TenantKeysPort;
    processing?: ProcessingPort;
  } => {
    if (!storage) {
      const credentials = grpcClientCredentials(config.STORAGE_GRPC_ADDR, tls);
      const client = new GrpcStorageClient(config.STORAGE_GRPC_ADDR, { ...portOptions, credentials });
      ownedClients.push(client);
      storage = client;
    }
    if (!lifecycle) {
      const credentials = grpcClientCredentials(config.LIFECYCLE_GRPC_ADDR, tls);
      const client = new GrpcLifecycleClient(config.LIFECYCLE_GRPC_ADDR, { ...portOptions, credentials });
      ownedClients.push(client);
      lifecycle = client;
    }
    if (!records) {
      const credentials = grpcClientCredentials(config.LIFECYCLE_GRPC_ADDR, tls);
      const client = new GrpcLifecycleRecordsClient(config.LIFECYCLE_GRPC_ADDR, { ...portOptions, credentials });
      ownedClients.push(client);
      records = client;
    }
    if (!tenantKeys) {
      const credentials = grpcClientCredentials(config.STORAGE_GRPC_ADDR, tls);
      const client = new GrpcTenantKeysClient(config.STORAGE_GRPC_ADDR, { ...portOptions, credentials });
      ownedClients.push(client);
      tenantKeys = client;
    }
    if (!processing && config.TRANSCRIPTION_GRPC_ADDR && config.INSIGHTS_GRPC_ADDR) {
      const client = new GrpcProcessingClient({
        transcription: { address: config.TRANSCRIPTION_GRPC_ADDR, credentials: grpcClientCredentials(config.TRANSCRIPTION_GRPC_ADDR, tls) },
        insights: { address: config.INSIGHTS_GRPC_ADDR, credentials: grpcClientCredentials(config.INSIGHTS_GRPC_ADDR, tls) },
        deadlineMs: config.GATEWAY_DOWNSTREAM_DEADLINE,
      });
      ownedClients.push(client);
      processing = client;
    }
    return { storage, lifecycle, records, tenantKeys, ...(processing ? { processing } : {}) };
  };

  return {
    name: 'gateway',
    grpcServices: [],
    get httpPort() {
      return httpPort;
    },
    httpScheme: tls ? 'https' : 'http',
    async start() {
      if (server) return;
      const address = parseHostPort(config.GATEWAY_HTTP_ADDR);
      if (!address) throw new AppError('invalid-argument', 'GATEWAY_HTTP_ADDR must be host:port');
      // Beyond loopback only encrypted (TLS 1.3); every API call is authenticated either way.
      if (!isLoopbackHost(address.host) && !tls) {
        throw new AppError(
          'failed-precondition',
          'GATEWAY_HTTP_ADDR must be a loopback address without TLS (TLS_CERT_FILE and TLS_KEY_FILE): other interfaces need TLS',
        );
      }
      const host = address.host.replace(/^\[(.*)\]$/, '$1');
      const built = await buildGatewayAccess(config, logger, deps.access, tls);
      const { authenticator, evaluator } = built.access;
      if (!authenticator || !evaluator) throw new AppError('failed-precondition', 'the gateway has no authenticator or policy');
      let app: ReturnType<typeof createGatewayApp>;
      try {
        app = createGatewayApp({
          ...built.access,
          authenticator,
          evaluator,
          ...clients(),
          logger,
          jsonBodyLimit: config.GATEWAY_JSON_BODY_LIMIT_BYTES,
        });
      } catch (err) {
        built.close();
        throw err;
      }
      const created: HttpServer | HttpsServer = tls
        ? createHttpsServer(httpsServerOptions(tls, { requireClientCertificate: config.GATEWAY_HTTP_MTLS }), app)
        : createHttpServer(app);
      try {
        await new Promise<void>((resolve, reject) => {
          created.once('error', reject);
          created.listen(address.port, host, () => {
            created.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        built.close();
        throw err;
      }
      server = created;
      closeAccess = built.close;
      httpPort = (created.address() as AddressInfo).port;
      logger.info(
        { host, port: httpPort, scheme: tls ? 'https' : 'http', ...(tls ? { mtls: config.GATEWAY_HTTP_MTLS, identity: tls.identity } : {}) },
        'gateway listening',
      );
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
      closeAccess?.();
      closeAccess = undefined;
    },
    async ready() {
      const peers = clients();
      const [s, l] = await Promise.all([peers.storage.ready(), peers.lifecycle.ready()]);
      return s && l;
    },
  };
}
