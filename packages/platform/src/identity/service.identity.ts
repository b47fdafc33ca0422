import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { ConfigError } from '../config/config.error';
import { AppError } from '../errors/app-error';
import type { Logger } from '../logging/logger';
import { LoggingDecisionAuditor, type DecisionAuditor } from '../policy/decision.auditor';
import type { GrantStore } from '../policy/grant.store';
import { PolicyEvaluator, type PolicyDecider } from '../policy/policy.evaluator';
import { systemClock, type Clock } from '../runtime/clock';
import type { RpcAuthorizationDeps } from './rpc.authorization';
import {
  generateServiceKeyPair,
  importServicePrivateKeyPem,
  importServicePublicKeyPem,
  SUBJECT_ASSERTION_METADATA,
  SubjectAssertionSigner,
  SubjectAssertionVerifier,
  type AssertionAlg,
} from './subject.assertion';
import type { CryptoKey } from 'jose';

/**
 * Service identities for subject assertions (ADR 0009): each service signs the
 * `x-confide-subject` assertions of its outgoing calls with its own private key; a callee
 * trusts a fixed set of callers by their public keys. Keys are files (PEM, PKCS#8 private /
 * SPKI public, Ed25519 or P-256), never configuration values; the all-in-one mode generates
 * fresh ones in memory at every start (`generateServiceTrust`).
 */

/** gRPC metadata carrying a subject assertion (`x-confide-subject`), added to `metadata` if given. */
export function subjectAssertionMetadata(assertion: string, metadata: grpc.Metadata = new grpc.Metadata()): grpc.Metadata {
  metadata.set(SUBJECT_ASSERTION_METADATA, assertion);
  return metadata;
}

/** The algorithm of a PEM key (Ed25519 -> EdDSA, P-256 -> ES256), or undefined. */
function algOf(key: KeyObject): AssertionAlg | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  return undefined;
}

async function readPem(path: string, variable: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new ConfigError([{ variable, problem: 'the file cannot be read' }]);
  }
}

/**
 * The signer of `service` from a PKCS#8 PEM private key file (Ed25519 or P-256). ConfigError
 * naming `variable` when the file is unreadable or not such a key; never echoes its content.
 */
export async function loadSubjectAssertionSigner(opts: { service: string; keyFile: string; variable?: string }): Promise<SubjectAssertionSigner> {
  const variable = opts.variable ?? 'SUBJECT_ASSERTION_KEY_FILE';
  const pem = await readPem(opts.keyFile, variable);
  let alg: AssertionAlg | undefined;
  try {
    alg = algOf(createPrivateKey({ key: pem, format: 'pem' }));
  } catch {
    alg = undefined;
  }
  if (!alg) throw new ConfigError([{ variable, problem: 'must be a PEM private key (PKCS#8, Ed25519 or P-256)' }]);
  let privateKey: CryptoKey;
  try {
    privateKey = await importServicePrivateKeyPem(pem, alg);
  } catch {
    throw new ConfigError([{ variable, problem: 'must be a PEM private key in PKCS#8 form (BEGIN PRIVATE KEY)' }]);
  }
  return new SubjectAssertionSigner({ service: opts.service, privateKey, alg });
}

/**
 * Environment of a service that calls others but serves no caller-authorized RPC (ingest,
 * transcription, insights: they call storage's KeyRegistryService). Merge into its schema;
 * its main requires it when the registry is remote (`requireServiceSigner`).
 */
export const serviceSignerEnvShape = {
  SUBJECT_ASSERTION_KEY_FILE: z.string().min(1).optional(),
};

/**
 * The signer of `service` from SUBJECT_ASSERTION_KEY_FILE; a ConfigError naming the variable
 * when it is unset (`why` says what needs it) or the file is not a usable private key.
 */
export async function requireServiceSigner(
  env: { SUBJECT_ASSERTION_KEY_FILE?: string | undefined },
  opts: { service: string; why: string },
): Promise<SubjectAssertionSigner> {
  if (!env.SUBJECT_ASSERTION_KEY_FILE) throw new ConfigError([{ variable: 'SUBJECT_ASSERTION_KEY_FILE', problem: `is required (${opts.why})` }]);
  return loadSubjectAssertionSigner({ service: opts.service, keyFile: env.SUBJECT_ASSERTION_KEY_FILE });
}

/** "gateway=/keys/gateway.pub.pem,lifecycle=/keys/lifecycle.pub.pem" -> { gateway: path, ... }. */
export function parseTrustedServiceKeys(spec: string, variable = 'SUBJECT_ASSERTION_TRUSTED_KEYS'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of spec.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const eq = entry.indexOf('=');
    const service = eq > 0 ? entry.slice(0, eq).trim() : '';
    const path = eq > 0 ? entry.slice(eq + 1).trim() : '';
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(service) || path === '') {
      throw new ConfigError([{ variable, problem: 'must be a comma-separated list of <service>=<public key PEM file>' }]);
    }
    if (out[service] !== undefined) throw new ConfigError([{ variable, problem: `names service ${service} twice` }]);
    out[service] = path;
  }
  return out;
}

/** The verifier trusting each service's SPKI PEM public key file (Ed25519 or P-256). */
export async function loadSubjectAssertionVerifier(opts: {
  trusted: Record<string, string>;
  variable?: string;
}): Promise<SubjectAssertionVerifier> {
  const variable = opts.variable ?? 'SUBJECT_ASSERTION_TRUSTED_KEYS';
  const keys: Record<string, CryptoKey> = {};
  for (const [service, path] of Object.entries(opts.trusted)) {
    const pem = await readPem(path, variable);
    let alg: AssertionAlg | undefined;
    try {
      alg = algOf(createPublicKey({ key: pem, format: 'pem' }));
      if (alg) keys[service] = await importServicePublicKeyPem(pem, alg);
    } catch {
      alg = undefined;
    }
    if (!alg) throw new ConfigError([{ variable, problem: `the key of ${service} must be a PEM public key (SPKI, Ed25519 or P-256)` }]);
  }
  return new SubjectAssertionVerifier({ trustedServices: keys });
}

/** Signers for a set of services and the verifier that trusts exactly them. */
export interface ServiceTrust {
  signer(service: string): SubjectAssertionSigner;
  verifier: SubjectAssertionVerifier;
}

/**
 * Fresh in-memory key pairs for `services` (all-in-one mode, tests): every start has new
 * keys, nothing is written anywhere. `signer(name)` rejects a service it has no key for.
 */
export async function generateServiceTrust(services: readonly string[], alg: AssertionAlg = 'EdDSA'): Promise<ServiceTrust> {
  const signers = new Map<string, SubjectAssertionSigner>();
  const publicKeys: Record<string, CryptoKey> = {};
  for (const service of services) {
    const pair = await generateServiceKeyPair(alg);
    signers.set(service, new SubjectAssertionSigner({ service, privateKey: pair.privateKey, alg }));
    publicKeys[service] = pair.publicKey;
  }
  return {
    signer(service: string) {
      const signer = signers.get(service);
      if (!signer) throw new AppError('invalid-argument', `no service key for ${service}`);
      return signer;
    },
    verifier: new SubjectAssertionVerifier({ trustedServices: publicKeys }),
  };
}

/**
 * Environment of a gRPC service that authorizes its callers (merge into its config schema):
 * - SUBJECT_ASSERTION_TRUSTED_KEYS: `<service>=<SPKI PEM file>,...`, the callers it trusts
 *   (storage: gateway and lifecycle; lifecycle: gateway). Optional in the schema (the all-in-one
 *   composition generates its trust in memory); `loadServiceAuthorization` requires it (a
 *   ConfigError naming it): a service that trusts no one would refuse every call.
 * - SUBJECT_ASSERTION_KEY_FILE: its own PKCS#8 PEM key, for services that call others
 *   (lifecycle -> storage).
 * - POLICY_WASM_PATH: the compiled policy; default the repository's policies/dist/policy.wasm.
 */
export const serviceIdentityEnvShape = {
  SUBJECT_ASSERTION_TRUSTED_KEYS: z.string().min(1).optional(),
  SUBJECT_ASSERTION_KEY_FILE: z.string().min(1).optional(),
  POLICY_WASM_PATH: z.string().min(1).optional(),
};

export interface ServiceIdentityEnv {
  SUBJECT_ASSERTION_TRUSTED_KEYS?: string | undefined;
  SUBJECT_ASSERTION_KEY_FILE?: string | undefined;
  POLICY_WASM_PATH?: string | undefined;
}

export interface ServiceAuthorization {
  /** For the module's gRPC handlers (authorizeRpc). */
  rpc: RpcAuthorizationDeps;
  /** The service's own signer, when SUBJECT_ASSERTION_KEY_FILE is set. */
  signer?: SubjectAssertionSigner;
  /** Stops the policy file watcher. */
  close(): void;
}

/**
 * Microservices mode: everything a service's gRPC handlers need to authorize their callers,
 * from its configuration (serviceIdentityEnvShape). The decision auditor is a log line per
 * audited decision until lifecycle's audit log exists; grants come from `grants` if given.
 *
 *   const authz = await loadServiceAuthorization(config, { service: 'storage', logger });
 *   createStorageModule({ ..., authorization: authz.rpc });   // and authz.close() on stop
 */
export async function loadServiceAuthorization(
  env: ServiceIdentityEnv,
  opts: { service: string; logger: Logger; evaluator?: PolicyDecider & { close?(): void }; auditor?: DecisionAuditor; grants?: GrantStore; clock?: Clock },
): Promise<ServiceAuthorization> {
  if (env.SUBJECT_ASSERTION_TRUSTED_KEYS === undefined) {
    throw new ConfigError([{ variable: 'SUBJECT_ASSERTION_TRUSTED_KEYS', problem: 'is required (<service>=<public key PEM file>,...)' }]);
  }
  const verifier = await loadSubjectAssertionVerifier({ trusted: parseTrustedServiceKeys(env.SUBJECT_ASSERTION_TRUSTED_KEYS) });
  const signer = env.SUBJECT_ASSERTION_KEY_FILE
    ? await loadSubjectAssertionSigner({ service: opts.service, keyFile: env.SUBJECT_ASSERTION_KEY_FILE })
    : undefined;
  const evaluator =
    opts.evaluator ?? (await PolicyEvaluator.load({ logger: opts.logger, ...(env.POLICY_WASM_PATH ? { path: env.POLICY_WASM_PATH } : {}) }));
  return {
    rpc: {
      evaluator,
      verifier,
      auditor: opts.auditor ?? new LoggingDecisionAuditor(opts.logger.child({ component: 'access-audit' })),
      clock: opts.clock ?? systemClock,
      ...(opts.grants ? { grants: opts.grants } : {}),
    },
    ...(signer ? { signer } : {}),
    close: () => evaluator.close?.(),
  };
}
