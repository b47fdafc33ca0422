import {
  ConfigError,
  discoverJwksUrl,
  InMemoryGrantStore,
  LoggingDecisionAuditor,
  loadSubjectAssertionSigner,
  OidcVerifier,
  PolicyEvaluator,
  systemClock,
  type IdentityClaimNames,
  type Logger,
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

/** The claim-name overrides of the configuration (unset ones keep platform's defaults). */
export function claimNamesFromConfig(config: GatewayConfig): Partial<IdentityClaimNames> {
  return {
    ...(config.OIDC_CLAIM_SUBJECT ? { subject: config.OIDC_CLAIM_SUBJECT } : {}),
    ...(config.OIDC_CLAIM_TENANT ? { tenant: config.OIDC_CLAIM_TENANT } : {}),
    ...(config.OIDC_CLAIM_ROLES ? { roles: config.OIDC_CLAIM_ROLES } : {}),
    ...(config.OIDC_CLAIM_STAFF ? { staff: config.OIDC_CLAIM_STAFF } : {}),
  };
}

/**
 * Completes the gateway's access dependencies from its configuration; whatever `injected`
 * already holds (a composition's own verifier, evaluator, signer, ...) is kept.
 * - authenticator: OidcVerifier for OIDC_ISSUER / OIDC_AUDIENCE, keys from OIDC_JWKS_URL or
 *   the issuer's discovery document, claim names from OIDC_CLAIM_*;
 * - evaluator: PolicyEvaluator on POLICY_WASM_PATH (default the repository's bundle), reloaded
 *   when the file changes;
 * - auditor: a log line per audited decision (until lifecycle's audit log exists);
 * - grants: none (staff see nothing until lifecycle serves grants);
 * - assertionSigner: from SUBJECT_ASSERTION_KEY_FILE; required (ConfigError without it).
 */
export async function buildGatewayAccess(config: GatewayConfig, logger: Logger, injected: GatewayAccess = {}): Promise<BuiltGatewayAccess> {
  const owned: Array<() => void> = [];
  try {
    let authenticator = injected.authenticator;
    if (!authenticator) {
      const jwksUrl = config.OIDC_JWKS_URL ?? (await discoverJwksUrl(config.OIDC_ISSUER, AbortSignal.timeout(10_000)));
      authenticator = new OidcVerifier({
        issuer: config.OIDC_ISSUER,
        audience: config.OIDC_AUDIENCE,
        jwksUrl,
        claims: claimNamesFromConfig(config),
        ...(config.OIDC_MFA_ACR_VALUES ? { mfaAcrValues: config.OIDC_MFA_ACR_VALUES } : {}),
      });
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
        grants: injected.grants ?? new InMemoryGrantStore(),
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
