import type * as grpc from '@grpc/grpc-js';
import { ConfigError } from '../config/config.error';
import type { EventBus } from '../event-bus/event-bus.port';
import { OVERALL_HEALTH } from '../grpc/grpc.server';
import { GrpcKeyRegistry } from '../keys/grpc.key-registry';
import { subjectAssertionMetadata } from '../identity/service.identity';
import type { SubjectAssertionSigner } from '../identity/subject.assertion';
import { grpcClientCredentials } from '../tls/grpc.credentials';
import type { TlsSettings } from '../tls/tls.config';
import type { KeyRegistry } from '../keys/key-registry.port';
import { MeetingKeyring } from '../keys/meeting-keyring';
import { EnvelopePayloadProtector } from '../keys/payload-protector';
import { protectEventBus } from '../keys/protected.event-bus';
import type { Logger } from '../logging/logger';
import { KMS_DEFAULTS, createKmsFromConfig, keyringOptionsFromConfig, type KmsConfig } from './kms.config';
import { KmsHealthMonitor } from './kms-health.monitor';
import { holdOnKmsOutage } from './kms-outage.event-bus';
import type { Kms } from './kms.port';

/** What `createServiceKeys` reads: `kmsEnvShape` plus, unless the registry is local, `keyRegistryEnvShape`. */
export interface ServiceKeysConfig extends KmsConfig {
  KEY_REGISTRY_GRPC_ADDR?: string | undefined;
}

/** Where a service sets its gRPC health (a `GrpcServer`). */
export interface HealthTarget {
  setStatus(serviceName: string, status: 'SERVING' | 'NOT_SERVING'): void;
}

/**
 * The keys of one service process in the microservices mode (docs/adr/0010-key-hierarchy.md):
 * its KMS, one `MeetingKeyring` over the key registry, the bus wrapping that encrypts every
 * payload and holds messages through a KMS outage, and the KMS health probe.
 */
export interface ServiceKeys {
  kms: Kms;
  keyring: MeetingKeyring;
  health: KmsHealthMonitor;
  /**
   * The bus the service's module must use: `protectEventBus(holdOnKmsOutage(bus), protector)`.
   * Every payload of a meeting is sealed before it reaches `bus`; a handler that fails because
   * the KMS is unavailable is held (nothing written, nothing committed) until it is back.
   */
  protect(bus: EventBus): EventBus;
  /**
   * Starts the KMS probe and mirrors it on the server's health: `serviceNames` and the overall
   * entry are NOT_SERVING while the KMS is unavailable and SERVING again when it is back.
   */
  reportHealth(server: HealthTarget, serviceNames: string[]): Promise<void>;
  /** Stops the probe (call before the server's shutdown) and closes the registry channel it opened. */
  close(): void;
}

/**
 * Builds a service's keys from its configuration. `registry`: the key registry when the process
 * hosts it (storage: its own `data_keys` table); otherwise the registry is reached over gRPC at
 * `KEY_REGISTRY_GRPC_ADDR` (a ConfigError names it when it is missing).
 */
export async function createServiceKeys(
  config: ServiceKeysConfig,
  logger: Logger,
  opts: {
    registry?: KeyRegistry;
    /** TLS material of this service: the registry channel then uses TLS (mTLS with a CA), see grpcClientCredentials. */
    tls?: TlsSettings | undefined;
    /**
     * This service's identity towards the registry (ADR 0009): every registry call carries a
     * fresh `x-confide-subject` assertion signed by it (no end user). Storage refuses registry
     * calls without one, so a remote registry needs it.
     */
    signer?: Pick<SubjectAssertionSigner, 'sign'> | undefined;
  } = {},
): Promise<ServiceKeys> {
  if (!opts.registry && !config.KEY_REGISTRY_GRPC_ADDR) {
    throw new ConfigError([{ variable: 'KEY_REGISTRY_GRPC_ADDR', problem: "is required (the storage service's gRPC address)" }]);
  }
  const kms = await createKmsFromConfig(config, logger);
  const grpcRegistry = opts.registry
    ? undefined
    : new GrpcKeyRegistry(config.KEY_REGISTRY_GRPC_ADDR!, {
        credentials: grpcClientCredentials(config.KEY_REGISTRY_GRPC_ADDR!, opts.tls),
        ...(opts.signer ? { metadata: signedMetadata(opts.signer) } : {}),
      });
  const registry = opts.registry ?? grpcRegistry!;
  const keyring = new MeetingKeyring({ kms, registry, ...keyringOptionsFromConfig(config) });
  const kmsLogger = logger.child({ component: 'kms' });
  let targets: { server: HealthTarget; names: string[] } | undefined;
  const health = new KmsHealthMonitor({
    kms,
    intervalMs: config.KMS_HEALTH_INTERVAL ?? KMS_DEFAULTS.KMS_HEALTH_INTERVAL,
    logger: kmsLogger,
    onChange: (available) => {
      if (!targets) return;
      for (const name of targets.names) targets.server.setStatus(name, available ? 'SERVING' : 'NOT_SERVING');
    },
  });
  return {
    kms,
    keyring,
    health,
    protect: (bus) =>
      protectEventBus(holdOnKmsOutage(bus, { logger: kmsLogger, onOutage: () => health.reportUnavailable() }), new EnvelopePayloadProtector(keyring), {
        logger,
      }),
    async reportHealth(server, serviceNames) {
      targets = { server, names: [...new Set([...serviceNames, OVERALL_HEALTH])] };
      await health.start();
    },
    close() {
      health.stop();
      keyring.clear();
      grpcRegistry?.close();
    },
  };
}

/** Registry call metadata: a fresh assertion of the service itself per call (they live 60 s). */
function signedMetadata(signer: Pick<SubjectAssertionSigner, 'sign'>): () => Promise<grpc.Metadata> {
  return async () => subjectAssertionMetadata(await signer.sign());
}
