import { invalidArgument } from '@confide/platform';
import { canonicalBytes } from './canonical-json';
import { DELETION_CERTIFICATE_TYPE, DELETION_CERTIFICATE_VERSION } from './deletion-certificate';

/**
 * What an erasure erases (issue 6): one meeting, one user's data, or a whole tenant. The
 * `key` identifies the erasure of that subject within its tenant: an erasure request is
 * recorded once per key (the outbox), so a retry resumes it instead of starting another.
 */
export type ErasureSubject = { kind: 'meeting'; meetingId: string } | { kind: 'user'; userId: string } | { kind: 'tenant' };

export function erasureSubjectKey(subject: ErasureSubject): string {
  switch (subject.kind) {
    case 'meeting':
      return `meeting/${subject.meetingId}`;
    case 'user':
      return `user/${subject.userId}`;
    case 'tenant':
      return 'tenant';
  }
}

/** Rows (and keys) removed per kind; absent kinds are 0. */
export type ErasureCounts = Partial<Record<'meetings' | 'segments' | 'alerts' | 'reports' | 'data_keys', number>>;

export type ErasureOutcome = 'pending' | 'completed' | 'not-found';

/** The durable record of one erasure (table `erasure_requests`), advanced step by step. */
export interface ErasureRequestRecord {
  tenantId: string;
  /** Also the id of its deletion certificate, so every retry yields the same certificate. */
  erasureId: string;
  subject: ErasureSubject;
  requestedBy: string;
  reason: string;
  requestedAtMs: number;
  /** Set once by the first successful crypto-erasure step (kept by retries). */
  cryptoErasedAtMs?: number;
  /** Keys the crypto-erasure destroyed (0 when none was active). */
  keysDestroyed?: number;
  /** References of the destroyed keys (key names / registry refs, never key material). */
  keyRefs?: string[];
  purgedAtMs?: number;
  counts?: ErasureCounts;
  certificateId?: string;
  outcome: ErasureOutcome;
  completedAtMs?: number;
}

/**
 * Deletion certificate of any subject: the ADR 0011 v1 document (`type`, `version`,
 * `certificate_id`, `tenant_id`, `subject`, `erased`, `crypto_erased_at`, `purged_at`,
 * `requested_by`, `reason`, `issued_at`, `signing_key_name`, `signing_key_version`,
 * `signature`) — verified by the same `verifyDeletionCertificate`. For a meeting the subject
 * and counts are exactly ADR 0011's; tenants and users carry `{kind:"tenant"}` /
 * `{kind:"user", user_id}` and may add `data_keys` to `erased`, plus `method` (the
 * crypto-erasure and the references of the destroyed keys) and `kept` (what is intentionally
 * kept and why).
 */
export interface ErasureCertificateBody {
  type: typeof DELETION_CERTIFICATE_TYPE;
  version: number;
  certificate_id: string;
  tenant_id: string;
  subject: { kind: 'meeting'; meeting_id: string } | { kind: 'user'; user_id: string } | { kind: 'tenant' };
  erased: Record<string, number>;
  crypto_erased_at: string | null;
  purged_at: string;
  requested_by: string;
  reason: string;
  issued_at: string;
  signing_key_name: string;
  signing_key_version: number;
  method?: { crypto_erasure: string; destroyed_keys: string[] };
  kept?: Array<{ what: string; why: string }>;
}

export interface ErasureCertificate extends ErasureCertificateBody {
  signature: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** What the subject's certificate says is kept (and why). */
const KEPT: Record<ErasureSubject['kind'], Array<{ what: string; why: string }> | undefined> = {
  meeting: undefined,
  user: [
    { what: 'meetings the user took part in, reports and other participants\' segments', why: 'they are other people\'s data; the user\'s own transcript segments are erased' },
    { what: 'audit entries naming the user id', why: 'tamper-evident record of access and of this erasure (ids only, no content)' },
  ],
  tenant: [
    { what: 'audit entries and deletion certificates of the tenant', why: 'the record of this erasure; ids only, no content' },
  ],
};

export function erasureCertificateBody(
  record: ErasureRequestRecord & { purgedAtMs: number },
  issuedAtMs: number,
  signingKey: { name: string; version: number },
): ErasureCertificateBody {
  const counts = record.counts ?? {};
  const subject: ErasureCertificateBody['subject'] =
    record.subject.kind === 'meeting'
      ? { kind: 'meeting', meeting_id: record.subject.meetingId }
      : record.subject.kind === 'user'
        ? { kind: 'user', user_id: record.subject.userId }
        : { kind: 'tenant' };
  // A meeting's certificate is ADR 0011's v1 document exactly; the other subjects add fields.
  const erased: Record<string, number> = {
    meetings: counts.meetings ?? 0,
    segments: counts.segments ?? 0,
    alerts: counts.alerts ?? 0,
    reports: counts.reports ?? 0,
  };
  if (record.subject.kind !== 'meeting') erased.data_keys = counts.data_keys ?? 0;
  const body: ErasureCertificateBody = {
    type: DELETION_CERTIFICATE_TYPE,
    version: DELETION_CERTIFICATE_VERSION,
    certificate_id: record.erasureId,
    tenant_id: record.tenantId,
    subject,
    erased,
    crypto_erased_at: record.cryptoErasedAtMs === undefined ? null : iso(record.cryptoErasedAtMs),
    purged_at: iso(record.purgedAtMs),
    requested_by: record.requestedBy,
    reason: record.reason,
    issued_at: iso(issuedAtMs),
    signing_key_name: signingKey.name,
    signing_key_version: signingKey.version,
  };
  if (record.subject.kind !== 'meeting') {
    body.method = {
      crypto_erasure: record.subject.kind === 'tenant' ? 'tenant key destroyed in the KMS' : 'none (user data shares meeting keys with other participants)',
      destroyed_keys: [...(record.keyRefs ?? [])],
    };
    const kept = KEPT[record.subject.kind];
    if (kept) body.kept = kept.map((k) => ({ ...k }));
  }
  return body;
}

/** The signed bytes: canonical JSON (RFC 8785) of the certificate without `signature`. */
export function erasureCertificateSigningBytes(body: ErasureCertificateBody): Buffer {
  const { signature: _ignored, ...rest } = body as ErasureCertificate;
  void _ignored;
  return canonicalBytes(rest);
}

const MAX_SUBJECT_ID_LENGTH = 256;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** A subject id (user id, ...) or invalid-argument naming `field` (never the value). */
export function requireSubjectId(field: string, value: string | undefined): string {
  if (value === undefined || value.length === 0) throw invalidArgument(`${field} is required`);
  if (value.length > MAX_SUBJECT_ID_LENGTH || CONTROL_CHARS.test(value)) {
    throw invalidArgument(`${field} must be at most ${MAX_SUBJECT_ID_LENGTH} characters without control characters`);
  }
  return value;
}
