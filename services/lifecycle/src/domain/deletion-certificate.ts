import { canonicalBytes } from './canonical-json';
import { checkSignature, type PublicKeyInput, type SignatureCheck } from './signing';

export const DELETION_CERTIFICATE_TYPE = 'confide.deletion-certificate';
export const DELETION_CERTIFICATE_VERSION = 1;

/** Rows removed by the physical purge, per kind. */
export interface ErasedItemCounts {
  meetings: number;
  segments: number;
  alerts: number;
  reports: number;
}

/**
 * The signed statement that a meeting was erased (ADR 0011). Snake_case JSON, the form that is
 * published (`GET /api/certificates/:id`) and verified offline. Times are ISO-8601 UTC with
 * milliseconds. `signature` covers the canonical JSON (RFC 8785) of every other field,
 * `signing_key_version` included.
 */
export interface DeletionCertificateBody {
  type: typeof DELETION_CERTIFICATE_TYPE;
  version: number;
  certificate_id: string;
  tenant_id: string;
  subject: { kind: 'meeting'; meeting_id: string };
  erased: ErasedItemCounts;
  /** When the meeting key was destroyed (cryptographic erasure); null when no key was destroyed. */
  crypto_erased_at: string | null;
  /** When the rows were deleted (physical purge). */
  purged_at: string;
  requested_by: string;
  reason: string;
  issued_at: string;
  signing_key_name: string;
  signing_key_version: number;
}

export interface DeletionCertificate extends DeletionCertificateBody {
  /** `<scheme>:v<N>:<base64 ed25519 signature>`; N equals `signing_key_version`. */
  signature: string;
}

export interface DeletionCertificateFacts {
  certificateId: string;
  tenantId: string;
  meetingId: string;
  erased: ErasedItemCounts;
  cryptoErasedAtMs: number | null;
  purgedAtMs: number;
  requestedBy: string;
  reason: string;
  issuedAtMs: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function deletionCertificateBody(facts: DeletionCertificateFacts, signingKey: { name: string; version: number }): DeletionCertificateBody {
  return {
    type: DELETION_CERTIFICATE_TYPE,
    version: DELETION_CERTIFICATE_VERSION,
    certificate_id: facts.certificateId,
    tenant_id: facts.tenantId,
    subject: { kind: 'meeting', meeting_id: facts.meetingId },
    erased: { meetings: facts.erased.meetings, segments: facts.erased.segments, alerts: facts.erased.alerts, reports: facts.erased.reports },
    crypto_erased_at: facts.cryptoErasedAtMs === null ? null : iso(facts.cryptoErasedAtMs),
    purged_at: iso(facts.purgedAtMs),
    requested_by: facts.requestedBy,
    reason: facts.reason,
    issued_at: iso(facts.issuedAtMs),
    signing_key_name: signingKey.name,
    signing_key_version: signingKey.version,
  };
}

/** The signed bytes: canonical JSON of the certificate without `signature`. */
export function certificateSigningBytes(certificate: DeletionCertificateBody | DeletionCertificate): Buffer {
  const { signature: _ignored, ...body } = certificate as DeletionCertificate;
  void _ignored;
  return canonicalBytes(body);
}

export interface CertificateVerification {
  ok: boolean;
  /** 'malformed' when the document is not a deletion certificate of a known version. */
  signature: SignatureCheck | 'malformed';
  certificateId: string;
}

/**
 * Verifies a deletion certificate offline with the published public keys only: the document
 * must be a v1 certificate, the signature must name `signing_key_version` and be a valid
 * ed25519 signature of that key version over the canonical JSON of every other field. Any change
 * to any field (counts, times, ids, reason, key version) fails.
 */
export function verifyDeletionCertificate(certificate: unknown, publicKeys: PublicKeyInput): CertificateVerification {
  let doc: unknown = certificate;
  if (typeof certificate === 'string') {
    try {
      doc = JSON.parse(certificate);
    } catch {
      return { ok: false, signature: 'malformed', certificateId: '' };
    }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, signature: 'malformed', certificateId: '' };
  const c = doc as Partial<DeletionCertificate>;
  const certificateId = typeof c.certificate_id === 'string' ? c.certificate_id : '';
  if (
    c.type !== DELETION_CERTIFICATE_TYPE ||
    c.version !== DELETION_CERTIFICATE_VERSION ||
    typeof c.signature !== 'string' ||
    typeof c.signing_key_version !== 'number'
  ) {
    return { ok: false, signature: 'malformed', certificateId };
  }
  let bytes: Buffer;
  try {
    bytes = certificateSigningBytes(c as DeletionCertificate);
  } catch {
    return { ok: false, signature: 'malformed', certificateId };
  }
  const check = checkSignature(bytes, c.signature, publicKeys, c.signing_key_version);
  return { ok: check === 'valid', signature: check, certificateId };
}
