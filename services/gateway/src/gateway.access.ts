import {
  ConfigError,
  createOidcVerifierFromConfig,
  grpcClientCredentials,
  GrpcGrantStore,
  LoggingDecisionAuditor,
  loadSubjectAssertionSigner,
  PolicyEvaluator,
  systemClock,
  type GrantStore,
  type Logger,
  type StaffGrant,
  type TlsSettings,
} from '@confide/platform';
import type { GatewayAppDeps } from './adapters/http/gateway.app';
import type { GatewayConfig } from './config';

/** What the REST app needs to authenticate and authorize (GatewayAppDeps' access part). */
export type GatewayAccess = Partial<Pick<GatewayAppDeps, 'authenticator' | 'evaluator' | 'auditor' | 'grants' | 'clock' | 'assertionSigner'>>;

export interface BuiltGatewayAccess {
  access: GatewayAccess;
  /** Releases what was built here (the policy file watcher). */
  close(): void;
}

/**
 * Completes the gateway's access dependencies from its configuration; whatever `injected`
 * already holds (a composition's own verifier, evaluator, signer, ...) is kept.
 * - authenticator: OidcVerifier for OIDC_ISSUER / OIDC_AUDIENCE, keys from OIDC_JWKS_URL or
 *   the issuer's discovery document, claim names from OIDC_CLAIM_*;
 * - evaluator: PolicyEvaluator on POLICY_WASM_PATH (default the repository's bundle), reloaded
 *   when the file changes;
 * - auditor: the composition's (main.ts: `BusDecisionAuditor` on confide.audit.v1; all-in-one:
 *   lifecycle's chain); without one, a log line per audited decision (tests only: not an audit log);
 * - grants: lifecycle's staff grants over `AccessGrantService.ListActiveGrantsForPolicy` at
 *   LIFECYCLE_GRPC_ADDR, signed as the gateway, cached 5 s (`GrpcGrantStore`; the channel is
 *   opened on the first staff request; a failure refuses that staff request);
 * - assertionSigner: from SUBJECT_ASSERTION_KEY_FILE; required (ConfigError without it).
 */
export async function buildGatewayAccess(
  config: GatewayConfig,
  logger: Logger,
  injected: GatewayAccess = {},
  /** TLS material for the lifecycle channel of the grant store (mTLS with a CA). */
  tls?: TlsSettings,
): Promise<BuiltGatewayAccess> {
  const owned: Array<() => void> = [];
  try {
    let authenticator = injected.authenticator;
    if (!authenticator) {
      authenticator = await createOidcVerifierFromConfig(config);
    }
    let evaluator = injected.evaluator;
    if (!evaluator) {
      const loaded = await PolicyEvaluator.load({ logger, ...(config.POLICY_WASM_PATH ? { path: config.POLICY_WASM_PATH } : {}) });
      owned.push(() => loaded.close());
      evaluator = loaded;
    }
    let assertionSigner = injected.assertionSigner;
    if (!assertionSigner) {
      if (!config.SUBJECT_ASSERTION_KEY_FILE) {
        throw new ConfigError([
          { variable: 'SUBJECT_ASSERTION_KEY_FILE', problem: 'required: the gateway signs the caller identity it passes to storage and lifecycle' },
        ]);
      }
      assertionSigner = await loadSubjectAssertionSigner({ service: 'gateway', keyFile: config.SUBJECT_ASSERTION_KEY_FILE });
    }
    return {
      access: {
        authenticator,
        evaluator,
        assertionSigner,
        auditor: injected.auditor ?? new LoggingDecisionAuditor(logger.child({ component: 'access-audit' })),
        grants: injected.grants ?? lifecycleGrants(config, assertionSigner, tls, owned),
        clock: injected.clock ?? systemClock,
      },
      close: () => {
        for (const close of owned.splice(0)) close();
      },
    };
  } catch (err) {
    for (const close of owned.splice(0)) close();
    throw err;
  }
}

/** The grant store over lifecycle, created on first use (only staff requests need it). */
function lifecycleGrants(config: GatewayConfig, signer: NonNullable<GatewayAccess['assertionSigner']>, tls: TlsSettings | undefined, owned: Array<() => void>): GrantStore {
  let store: GrpcGrantStore | undefined;
  owned.push(() => store?.close());
  return {
    grantsFor: async (tenant: string): Promise<StaffGrant[]> => {
      store ??= new GrpcGrantStore(config.LIFECYCLE_GRPC_ADDR, {
        signer,
        credentials: grpcClientCredentials(config.LIFECYCLE_GRPC_ADDR, tls),
        deadlineMs: config.GATEWAY_DOWNSTREAM_DEADLINE,
      });
      return store.grantsFor(tenant);
    },
  };
}
