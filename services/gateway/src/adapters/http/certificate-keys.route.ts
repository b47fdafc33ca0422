import { Router } from 'express';
import type { SubjectAssertionSigner } from '../../ports/access.port';
import type { LifecycleRecordsPort } from '../../ports/lifecycle-records.port';
import { presentSigningKeys } from './records.presenter';

/** Where the public certificate keys are published (ADR 0011). */
export const CERTIFICATE_KEYS_PATH = '/.well-known/confide/certificate-keys';
/** How long a fetched key set is served from memory (and may be cached by clients). */
export const DEFAULT_CERTIFICATE_KEYS_TTL_MS = 60_000;

/**
 * GET /.well-known/confide/certificate-keys: every version of the ed25519 public key that
 * signs deletion certificates and audit checkpoints, with its creation time (the rotation
 * history), in the document form `confide certificate verify --keys` takes. Unauthenticated —
 * they are public — so it is cached: at most one lifecycle call per TTL whatever the request
 * rate (concurrent misses share the call), and `Cache-Control: public` for clients. The call
 * to lifecycle is the gateway's own (a service-only subject assertion, no end user).
 */
export function certificateKeysRoute(deps: {
  records: LifecycleRecordsPort;
  signer?: SubjectAssertionSigner;
  ttlMs?: number;
  now?: () => number;
}): Router {
  const ttlMs = deps.ttlMs ?? DEFAULT_CERTIFICATE_KEYS_TTL_MS;
  const now = deps.now ?? Date.now;
  let cached: { at: number; body: ReturnType<typeof presentSigningKeys> } | undefined;
  let inflight: Promise<ReturnType<typeof presentSigningKeys>> | undefined;

  const fetchKeys = async (requestId: string): Promise<ReturnType<typeof presentSigningKeys>> => {
    const assertion = deps.signer ? await deps.signer.sign() : undefined;
    const signal = AbortSignal.timeout(10_000);
    const body = presentSigningKeys(await deps.records.signingKeys({ signal, requestId, ...(assertion ? { subjectAssertion: assertion } : {}) }));
    cached = { at: now(), body };
    return body;
  };

  const router = Router();
  router.get(CERTIFICATE_KEYS_PATH, async (_req, res) => {
    let body = cached && now() - cached.at < ttlMs ? cached.body : undefined;
    if (!body) {
      inflight ??= fetchKeys(res.locals.requestId as string).finally(() => {
        inflight = undefined;
      });
      body = await inflight;
    }
    res.set('Cache-Control', `public, max-age=${Math.floor(ttlMs / 1000)}`);
    res.json(body);
  });
  return router;
}
