import { dirname, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import { AppError } from '../errors/app-error';
import { isCallerChecked } from './caller-check';
import { isLoopbackHost, parseHostPort } from '../config/schema.helpers';
import type { Logger } from '../logging/logger';
import type { GrpcServiceRegistration } from '../runtime/service-module';
import { serverCredentials } from '../tls/grpc.credentials';
import type { TlsSettings } from '../tls/tls.config';
import { findProtoRoot, listProtoFiles } from './proto-root';

export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface GrpcServerOptions {
  /** "host:port"; port 0 picks an ephemeral port. Without `tls`, loopback hosts only. */
  address: string;
  /**
   * TLS 1.3 for the listener (`loadTlsSettings`); with a CA, clients must present a
   * certificate signed by it (mTLS). Unset: plaintext, refused on non-loopback addresses.
   */
  tls?: TlsSettings | undefined;
  logger: Logger;
  maxReceiveMessageBytes?: number;
  /** Directory holding `confide/**.proto` for reflection; default: nearest ancestor `proto/`. */
  protoRoot?: string;
  /** Serve gRPC server reflection (default true). */
  reflection?: boolean;
  /**
   * Accept services whose handlers carry no caller check (`markCallerChecked`). For the fake
   * servers of tests only; every service of Confide decides its caller on every RPC.
   */
  allowUncheckedHandlers?: boolean;
}

/** The overall health entry (service name ""). */
export const OVERALL_HEALTH = '';

type State = 'new' | 'starting' | 'started' | 'stopping' | 'stopped';

/**
 * A gRPC server with the standard health service (status per registered service and ""
 * overall), server reflection over the repository's protos, and graceful shutdown.
 * With `tls` it serves TLS 1.3 only (mTLS with a CA) on any address; plaintext is only
 * allowed on loopback: binding another host without TLS throws 'failed-precondition'.
 * `add` refuses a service with a handler that does not decide its caller (caller-check.ts).
 */
export class GrpcServer {
  private readonly server: grpc.Server;
  private readonly health = new HealthImplementation({ [OVERALL_HEALTH]: 'NOT_SERVING' });
  private readonly services: string[] = [];
  private readonly logger: Logger;
  private state: State = 'new';
  private boundPort: number | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: GrpcServerOptions) {
    this.logger = opts.logger;
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    });
    this.health.addToServer(this.server);
  }

  /** Registers a service (before start). Its health status is SERVING once the server started. */
  add(reg: GrpcServiceRegistration): void {
    if (this.state !== 'new') throw new AppError('failed-precondition', `cannot add ${reg.name}: server already started`);
    if (this.services.includes(reg.name)) throw new AppError('already-exists', `service ${reg.name} already registered`);
    if (!this.opts.allowUncheckedHandlers) {
      const implementation = reg.implementation as Record<string, unknown>;
      const unchecked = Object.entries(reg.definition as Record<string, { originalName?: string }>)
        .filter(([name, method]) => !isCallerChecked(implementation[name] ?? (method.originalName ? implementation[method.originalName] : undefined)))
        .map(([name]) => name);
      if (unchecked.length > 0) {
        throw new AppError('failed-precondition', `${reg.name}: no caller check on ${unchecked.join(', ')} (authorizeRpc, or markCallerChecked where the handler decides)`);
      }
    }
    this.server.addService(reg.definition, reg.implementation);
    this.services.push(reg.name);
    this.health.setStatus(reg.name, 'NOT_SERVING');
  }

  /** Sets the health status of a registered service (e.g. from a module's readiness). */
  setStatus(serviceName: string, status: ServingStatus): void {
    this.health.setStatus(serviceName, status);
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  async start(): Promise<{ port: number }> {
    if (this.state !== 'new') throw new AppError('failed-precondition', 'server already started');
    const parsed = parseHostPort(this.opts.address);
    if (!parsed) throw new AppError('invalid-argument', 'gRPC listen address must be host:port');
    const tls = this.opts.tls;
    if (!tls && !isLoopbackHost(parsed.host)) {
      throw new AppError(
        'failed-precondition',
        `refusing to serve plaintext gRPC on non-loopback host ${parsed.host}: TLS is required for other interfaces`,
      );
    }
    this.state = 'starting';
    if (this.opts.reflection ?? true) this.addReflection();
    const port = await new Promise<number>((resolvePort, reject) => {
      const credentials = tls ? serverCredentials(tls) : grpc.ServerCredentials.createInsecure();
      this.server.bindAsync(this.opts.address, credentials, (err, boundPort) => {
        if (err) reject(new AppError('unavailable', `cannot bind gRPC server: ${err.message}`));
        else resolvePort(boundPort);
      });
    }).catch((err: unknown) => {
      this.state = 'stopped';
      throw err;
    });
    this.boundPort = port;
    this.state = 'started';
    for (const name of this.services) this.health.setStatus(name, 'SERVING');
    this.health.setStatus(OVERALL_HEALTH, 'SERVING');
    const transport = tls ? (tls.mutual ? 'mtls' : 'tls') : 'plaintext';
    this.logger.info({ port, services: this.services, transport, ...(tls?.identity ? { identity: tls.identity } : {}) }, 'gRPC server started');
    return { port };
  }

  /**
   * Health NOT_SERVING for every service, then `tryShutdown` (lets in-flight calls and
   * streams finish) for up to `graceMs` (default 10 s), then `forceShutdown`. Idempotent.
   */
  shutdown(opts: { graceMs?: number } = {}): Promise<void> {
    if (!this.stopping) this.stopping = this.doShutdown(opts.graceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
    return this.stopping;
  }

  private async doShutdown(graceMs: number): Promise<void> {
    const wasStarted = this.state === 'started';
    this.state = 'stopping';
    for (const name of this.services) this.health.setStatus(name, 'NOT_SERVING');
    this.health.setStatus(OVERALL_HEALTH, 'NOT_SERVING');
    if (!wasStarted) {
      this.server.forceShutdown();
      this.state = 'stopped';
      return;
    }
    await new Promise<void>((done) => {
      let finished = false;
      const timer = setTimeout(() => {
        if (finished) return;
        finished = true;
        this.logger.warn({ graceMs }, 'gRPC graceful shutdown timed out; forcing');
        this.server.forceShutdown();
        done();
      }, graceMs);
      this.server.tryShutdown((err) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (err) {
          this.logger.warn({ err: err.name }, 'gRPC graceful shutdown failed; forcing');
          this.server.forceShutdown();
        }
        done();
      });
    });
    this.state = 'stopped';
    this.logger.info('gRPC server stopped');
  }

  private addReflection(): void {
    const root = this.opts.protoRoot ? resolve(this.opts.protoRoot) : findProtoRoot();
    if (!root) {
      this.logger.warn('proto/ directory not found; gRPC reflection disabled');
      return;
    }
    const files = listProtoFiles(root);
    if (files.length === 0) throw new AppError('failed-precondition', `no .proto files under protoRoot ${root}`);
    const packageDefinition = loadPackageDefinition(root, files);
    new ReflectionService(packageDefinition).addToServer(this.server);
  }
}

const definitionCache = new Map<string, protoLoader.PackageDefinition>();

/** Confide protos plus grpc.health.v1, so reflection clients can call Health too. */
function loadPackageDefinition(root: string, files: string[]): protoLoader.PackageDefinition {
  const cached = definitionCache.get(root);
  if (cached) return cached;
  const healthInclude = resolve(dirname(healthProtoPath), '..', '..');
  const definition = protoLoader.loadSync([...files, 'health/v1/health.proto'], {
    includeDirs: [root, healthInclude],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  definitionCache.set(root, definition);
  return definition;
}
