import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { AppError } from '../errors/app-error';
import { DEFAULT_CLAIM_NAMES } from './oidc.verifier';

export interface DevIssuerOptions {
  /** Loopback only; default 127.0.0.1. */
  host?: '127.0.0.1' | 'localhost' | '::1';
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default ES256. */
  alg?: 'ES256' | 'EdDSA';
  /** `aud` of minted tokens; default `confide-api`. */
  audience?: string;
}

export interface MintOptions {
  sub: string;
  tenant?: string;
  roles?: string[];
  staff?: boolean;
  /** Adds `amr: ["pwd","mfa"]` (default `["pwd"]`). */
  mfa?: boolean;
  /** Seconds; default 300. Negative mints an already expired token (tests). */
  expiresInSec?: number;
  audience?: string;
  /** Other claims (tests of claim mapping). */
  claims?: Record<string, unknown>;
}

export const DEV_ISSUER_AUDIENCE = 'confide-api';

/**
 * A local OIDC issuer for development, the all-in-one mode and tests: a fresh key pair per
 * start, `/.well-known/openid-configuration` and `/jwks.json` over plain HTTP on loopback,
 * and `mint()` for tokens. Tokens it mints are verified like any issuer's (OidcVerifier
 * with its jwksUrl): it is an issuer, not a bypass. Never expose it beyond loopback.
 */
export class DevIssuer {
  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    readonly audience: string,
    private readonly alg: 'ES256' | 'EdDSA',
    private readonly kid: string,
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
  ) {}

  static async start(opts: DevIssuerOptions = {}): Promise<DevIssuer> {
    const host = opts.host ?? '127.0.0.1';
    if (!['127.0.0.1', 'localhost', '::1'].includes(host)) throw new AppError('failed-precondition', 'the dev issuer listens on loopback only');
    const alg = opts.alg ?? 'ES256';
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const kid = randomUUID();
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    let issuer = '';
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'GET') send(405, { error: 'method_not_allowed' });
      else if (path === '/.well-known/openid-configuration') {
        send(200, {
          issuer,
          jwks_uri: `${issuer}/jwks.json`,
          id_token_signing_alg_values_supported: [alg],
          response_types_supported: ['token'],
          subject_types_supported: ['public'],
        });
      } else if (path === '/jwks.json') send(200, { keys: [publicJwk] });
      else send(404, { error: 'not_found' });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    issuer = `http://${host === '::1' ? '[::1]' : host}:${port}`;
    return new DevIssuer(server, issuer, opts.audience ?? DEV_ISSUER_AUDIENCE, alg, kid, privateKey, publicJwk);
  }

  get jwksUrl(): string {
    return `${this.issuer}/jwks.json`;
  }

  /** The public JWKS (for a local OidcVerifier without HTTP). */
  get jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk }] };
  }

  /** A signed access token with Confide's default claim names. */
  async mint(opts: MintOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      amr: opts.mfa ? ['pwd', 'mfa'] : ['pwd'],
      ...(opts.tenant !== undefined ? { [DEFAULT_CLAIM_NAMES.tenant[0]]: opts.tenant } : {}),
      ...(opts.roles !== undefined ? { [DEFAULT_CLAIM_NAMES.roles]: opts.roles } : {}),
      ...(opts.staff ? { [DEFAULT_CLAIM_NAMES.staff]: true } : {}),
      ...opts.claims,
    };
    const expiresIn = opts.expiresInSec ?? 300;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: this.alg, kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(opts.audience ?? this.audience)
      .setSubject(opts.sub)
      .setIssuedAt(expiresIn < 0 ? now + expiresIn - 60 : now)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(this.privateKey);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
