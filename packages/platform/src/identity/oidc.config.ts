import { z } from 'zod';
import { isLoopbackHost, zCsv } from '../config/schema.helpers';
import { discoverJwksUrl, OidcVerifier, type IdentityClaimNames } from './oidc.verifier';

/**
 * An issuer / JWKS URL: https, or http to a loopback host only (the development issuer).
 * Its value is never echoed in errors.
 */
export const zIdentityUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
    return;
  }
  if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname.replace(/^\[(.*)\]$/, '$1'))) return;
  ctx.addIssue({ code: 'custom', message: 'must be https (plain http only to a loopback host)' });
});

/** A claim name: printable, no separators. */
export const zClaimName = z.string().regex(/^[A-Za-z0-9_:/.-]{1,128}$/, { message: 'must be a claim name (1-128 of [A-Za-z0-9_:/.-])' });

/**
 * Environment of a process that verifies end users' OIDC access tokens (the gateway's REST
 * API, ingest's StreamMeeting). Merge into its config schema.
 */
export const oidcEnvShape = {
  /**
   * The OIDC issuer whose access tokens are accepted (exact `iss`). Required: there is no
   * unauthenticated mode. The all-in-one mode sets it to its local development issuer.
   */
  OIDC_ISSUER: zIdentityUrl,
  /** Accepted `aud` values (comma-separated; a token must carry one of them). */
  OIDC_AUDIENCE: zCsv.pipe(z.array(z.string().min(1)).min(1, { message: 'must name at least one audience' })).default(['confide-api']),
  /** The issuer's JWKS; default: `jwks_uri` from `<OIDC_ISSUER>/.well-known/openid-configuration`. */
  OIDC_JWKS_URL: zIdentityUrl.optional(),
  /** Claim names (DEFAULT_CLAIM_NAMES when unset). Tenant: tried in order. */
  OIDC_CLAIM_SUBJECT: zClaimName.optional(),
  OIDC_CLAIM_TENANT: zCsv.pipe(z.array(zClaimName).min(1, { message: 'must name at least one claim' })).optional(),
  OIDC_CLAIM_ROLES: zClaimName.optional(),
  OIDC_CLAIM_STAFF: zClaimName.optional(),
  /** `acr` values that count as multi-factor (DEFAULT_MFA_ACR_VALUES when unset); `amr` mfa/otp/hwk always do. */
  OIDC_MFA_ACR_VALUES: zCsv.optional(),
};

export interface OidcEnv {
  OIDC_ISSUER: string;
  OIDC_AUDIENCE: string[];
  OIDC_JWKS_URL?: string | undefined;
  OIDC_CLAIM_SUBJECT?: string | undefined;
  OIDC_CLAIM_TENANT?: string[] | undefined;
  OIDC_CLAIM_ROLES?: string | undefined;
  OIDC_CLAIM_STAFF?: string | undefined;
  OIDC_MFA_ACR_VALUES?: string[] | undefined;
}

/** The claim-name overrides of the configuration (unset ones keep the defaults). */
export function claimNamesFromConfig(config: OidcEnv): Partial<IdentityClaimNames> {
  return {
    ...(config.OIDC_CLAIM_SUBJECT ? { subject: config.OIDC_CLAIM_SUBJECT } : {}),
    ...(config.OIDC_CLAIM_TENANT ? { tenant: config.OIDC_CLAIM_TENANT } : {}),
    ...(config.OIDC_CLAIM_ROLES ? { roles: config.OIDC_CLAIM_ROLES } : {}),
    ...(config.OIDC_CLAIM_STAFF ? { staff: config.OIDC_CLAIM_STAFF } : {}),
  };
}

/**
 * The verifier of OIDC_ISSUER's tokens for OIDC_AUDIENCE: keys from OIDC_JWKS_URL, or from
 * the issuer's discovery document (fetched now, 10 s timeout), claim names from OIDC_CLAIM_*.
 */
export async function createOidcVerifierFromConfig(config: OidcEnv): Promise<OidcVerifier> {
  const jwksUrl = config.OIDC_JWKS_URL ?? (await discoverJwksUrl(config.OIDC_ISSUER, AbortSignal.timeout(10_000)));
  return new OidcVerifier({
    issuer: config.OIDC_ISSUER,
    audience: config.OIDC_AUDIENCE,
    jwksUrl,
    claims: claimNamesFromConfig(config),
    ...(config.OIDC_MFA_ACR_VALUES ? { mfaAcrValues: config.OIDC_MFA_ACR_VALUES } : {}),
  });
}
