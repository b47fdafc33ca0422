import { randomUUID } from 'node:crypto';
import {
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  importSPKI,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { AppError } from '../errors/app-error';
import type { Subject } from './subject';
import { serviceSubject } from './subject';

/**
 * Service-to-service identity over gRPC metadata: the calling service signs a short-lived
 * JWT ("subject assertion") naming itself (`iss` = `confide:service:<name>`) and, when it
 * acts for an end user, that user's subject as already authenticated (the gateway after
 * OIDC). The callee verifies it with the caller's public key; no shared secret.
 */
export const SUBJECT_ASSERTION_METADATA = 'x-confide-subject';
export const SUBJECT_ASSERTION_AUDIENCE = 'confide-services';
export const SUBJECT_ASSERTION_TYP = 'confide-subject+jwt';
export const DEFAULT_ASSERTION_TTL_SEC = 60;
const ISSUER_PREFIX = 'confide:service:';
const SUBJECT_CLAIM = 'confide/subject';

export type AssertionAlg = 'EdDSA' | 'ES256';

export interface ServiceKeyPair {
  alg: AssertionAlg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/** A fresh key pair for a service (all-in-one, tests). Production keys come from files/secrets. */
export async function generateServiceKeyPair(alg: AssertionAlg = 'EdDSA'): Promise<ServiceKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), alg } };
}

export const importServicePrivateKeyPem = (pem: string, alg: AssertionAlg = 'EdDSA'): Promise<CryptoKey> => importPKCS8(pem, alg);
export const importServicePublicKeyPem = (pem: string, alg: AssertionAlg = 'EdDSA'): Promise<CryptoKey> => importSPKI(pem, alg);

export interface SubjectAssertionSignerOptions {
  /** The signing service's name (gateway, lifecycle, ...). */
  service: string;
  privateKey: CryptoKey;
  alg: AssertionAlg;
  ttlSec?: number;
  audience?: string;
}

export class SubjectAssertionSigner {
  constructor(private readonly opts: SubjectAssertionSignerOptions) {}

  /** An assertion for one call: the service itself, acting for `endUser` if given. */
  async sign(endUser?: Subject): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = endUser
      ? {
          [SUBJECT_CLAIM]: { id: endUser.id, tenant: endUser.tenant, roles: endUser.roles, kind: endUser.kind, mfa: endUser.mfa },
        }
      : {};
    return new SignJWT(claims)
      .setProtectedHeader({ alg: this.opts.alg, typ: SUBJECT_ASSERTION_TYP })
      .setIssuer(`${ISSUER_PREFIX}${this.opts.service}`)
      .setSubject(endUser?.id ?? this.opts.service)
      .setAudience(this.opts.audience ?? SUBJECT_ASSERTION_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + (this.opts.ttlSec ?? DEFAULT_ASSERTION_TTL_SEC))
      .setJti(randomUUID())
      .sign(this.opts.privateKey);
  }
}

export interface VerifiedAssertion {
  /** The calling service, as a service subject. */
  caller: Subject;
  /** The end user the service acts for, if any. */
  subject?: Subject;
}

export interface SubjectAssertionVerifierOptions {
  /** Trusted callers: service name -> its public key (CryptoKey or JWK with `alg`). */
  trustedServices: Record<string, CryptoKey | JWK>;
  audience?: string;
  clockToleranceSec?: number;
}

const INVALID_ASSERTION = 'the caller identity is missing or invalid';

function parseEndUser(value: unknown, sub: string | undefined): Subject | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new AppError('unauthenticated', INVALID_ASSERTION);
  const v = value as Record<string, unknown>;
  const kind = v.kind;
  if (typeof v.id !== 'string' || v.id === '' || v.id !== sub || typeof v.tenant !== 'string' || (kind !== 'user' && kind !== 'staff')) {
    throw new AppError('unauthenticated', INVALID_ASSERTION);
  }
  const roles = Array.isArray(v.roles) ? v.roles.filter((r): r is string => typeof r === 'string') : [];
  return { id: v.id, tenant: v.tenant, roles, kind, mfa: v.mfa === true };
}

export class SubjectAssertionVerifier {
  private readonly keys = new Map<string, Promise<CryptoKey | Uint8Array>>();

  constructor(private readonly opts: SubjectAssertionVerifierOptions) {
    for (const [service, key] of Object.entries(opts.trustedServices)) {
      this.keys.set(service, isJwk(key) ? importJWK(key) : Promise.resolve(key));
    }
  }

  async verify(token: string | undefined): Promise<VerifiedAssertion> {
    if (!token) throw new AppError('unauthenticated', INVALID_ASSERTION);
    try {
      const iss = decodeJwt(token).iss;
      const service = typeof iss === 'string' && iss.startsWith(ISSUER_PREFIX) ? iss.slice(ISSUER_PREFIX.length) : '';
      const key = this.keys.get(service);
      if (!key) throw new AppError('unauthenticated', INVALID_ASSERTION);
      const { payload } = await jwtVerify(token, await key, {
        issuer: `${ISSUER_PREFIX}${service}`,
        audience: this.opts.audience ?? SUBJECT_ASSERTION_AUDIENCE,
        typ: SUBJECT_ASSERTION_TYP,
        algorithms: ['EdDSA', 'ES256'],
        clockTolerance: this.opts.clockToleranceSec ?? 5,
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      const subject = parseEndUser(payload[SUBJECT_CLAIM], payload.sub);
      return { caller: serviceSubject(service), ...(subject ? { subject } : {}) };
    } catch {
      throw new AppError('unauthenticated', INVALID_ASSERTION);
    }
  }
}

function isJwk(key: CryptoKey | JWK): key is JWK {
  return typeof (key as JWK).kty === 'string';
}
