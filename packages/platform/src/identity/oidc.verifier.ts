import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { AppError } from '../errors/app-error';
import type { Subject } from './subject';

/** Claim names read from an access/ID token. */
export interface IdentityClaimNames {
  /** Default `sub`. */
  subject: string;
  /** Tried in order; default `confide/tenant`, then `tenant_id`. */
  tenant: string[];
  /** Array of strings or a space-separated string; default `confide/roles`. */
  roles: string;
  /** `true` marks support staff; default `confide/staff`. */
  staff: string;
}

export const DEFAULT_CLAIM_NAMES: IdentityClaimNames = {
  subject: 'sub',
  tenant: ['confide/tenant', 'tenant_id'],
  roles: 'confide/roles',
  staff: 'confide/staff',
};

/** `amr` values (RFC 8176) that mean a second factor was used. */
export const MFA_AMR_VALUES: readonly string[] = ['mfa', 'otp', 'hwk'];
/** `acr` values that mean a second factor was used unless configured otherwise. */
export const DEFAULT_MFA_ACR_VALUES: readonly string[] = [
  'mfa',
  'urn:confide:acr:mfa',
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
];
/** Asymmetric algorithms only: never `none`, never a shared secret. */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];

export interface OidcVerifierOptions {
  /** Expected `iss`, exactly. */
  issuer: string;
  /** Expected `aud` (one of). */
  audience: string | string[];
  /** The issuer's JWKS URL (fetched and cached by jose; refetched on unknown `kid`). */
  jwksUrl?: string;
  /** A local JWKS instead of a URL. */
  jwks?: JSONWebKeySet;
  claims?: Partial<IdentityClaimNames>;
  mfaAcrValues?: readonly string[];
  algorithms?: readonly string[];
  /** Allowed clock skew for exp/nbf/iat, seconds; default 10. */
  clockToleranceSec?: number;
}

/** Turns a bearer token into a Subject, or rejects 'unauthenticated'. */
export interface Authenticator {
  authenticate(token: string): Promise<Subject>;
}

export const DEFAULT_CLOCK_TOLERANCE_SEC = 10;

const INVALID_TOKEN = 'the bearer token is invalid or expired';

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter((v) => v !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}

/** Maps verified claims to a Subject (exported for the subject-assertion verifier and tests). */
export function subjectFromClaims(
  payload: JWTPayload,
  claims: IdentityClaimNames = DEFAULT_CLAIM_NAMES,
  mfaAcrValues: readonly string[] = DEFAULT_MFA_ACR_VALUES,
): Subject {
  const id = stringClaim(payload, claims.subject);
  if (!id) throw new AppError('unauthenticated', INVALID_TOKEN);
  const staff = payload[claims.staff] === true;
  const tenant = claims.tenant.map((name) => stringClaim(payload, name)).find((v) => v !== undefined) ?? '';
  const amr = stringList(payload.amr);
  const acr = typeof payload.acr === 'string' ? payload.acr : '';
  const mfa = amr.some((v) => MFA_AMR_VALUES.includes(v)) || (acr !== '' && mfaAcrValues.includes(acr));
  return {
    id,
    // The policy denies staff that carry a tenant; pass it through so that it can.
    tenant,
    roles: staff ? [] : stringList(payload[claims.roles]),
    kind: staff ? 'staff' : 'user',
    mfa,
  };
}

/**
 * OIDC JWT verification with jose: signature against the issuer's JWKS (remote, cached, or
 * local), `iss` and `aud` exact, `exp` required, small clock tolerance, asymmetric
 * algorithms only. Every failure is the same 'unauthenticated' error (no detail leaks).
 */
export class OidcVerifier implements Authenticator {
  private readonly keys: ReturnType<typeof createRemoteJWKSet> | ReturnType<typeof createLocalJWKSet>;
  private readonly claims: IdentityClaimNames;

  constructor(private readonly opts: OidcVerifierOptions) {
    if (opts.jwks) this.keys = createLocalJWKSet(opts.jwks);
    else if (opts.jwksUrl) this.keys = createRemoteJWKSet(new URL(opts.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    else throw new AppError('invalid-argument', 'OidcVerifier needs jwksUrl or jwks');
    this.claims = { ...DEFAULT_CLAIM_NAMES, ...opts.claims };
  }

  async authenticate(token: string): Promise<Subject> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        algorithms: [...(this.opts.algorithms ?? DEFAULT_JWT_ALGORITHMS)],
        clockTolerance: this.opts.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC,
        requiredClaims: ['exp', this.claims.subject],
      }));
    } catch {
      throw new AppError('unauthenticated', INVALID_TOKEN);
    }
    return subjectFromClaims(payload, this.claims, this.opts.mfaAcrValues ?? DEFAULT_MFA_ACR_VALUES);
  }
}

/** The JWKS URL an issuer advertises in /.well-known/openid-configuration. */
export async function discoverJwksUrl(issuer: string, signal?: AbortSignal): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, signal ? { signal } : {});
  if (!res.ok) throw new AppError('unavailable', `OIDC discovery failed with HTTP ${res.status}`);
  const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
  if (doc.issuer !== issuer || typeof doc.jwks_uri !== 'string') {
    throw new AppError('failed-precondition', 'OIDC discovery document does not match the configured issuer');
  }
  return doc.jwks_uri;
}
