import { createHash } from 'node:crypto';
import type { Clock, Kms } from '@confide/platform';
import type { AuditLog } from '../ports/audit-log.port';
import { erasureCertificateBody, erasureCertificateSigningBytes, type ErasureCertificate } from '../domain/erasure';
import type { ErasureCertificateStore } from '../ports/erasure-certificate-store.port';
import type { ResumableErasureLog, ResumableErasureRecord } from '../ports/erasure-certifier.port';

const MAX_SIGN_ATTEMPTS = 3;

/**
 * The idempotent deletion certificate of an erasure (ADR 0011 format; subjects meeting, user,
 * tenant): its id is the erasure's id, so a retry of an erasure whose certificate was already
 * stored returns that certificate instead of signing another. Signed with the KMS ed25519 key
 * (`Kms.sign`); a rotation between reading the version and signing is handled as in
 * `IssueDeletionCertificate`.
 */
export class IssueErasureCertificate implements ResumableErasureLog {
  constructor(
    private readonly deps: {
      store: ErasureCertificateStore;
      kms: Pick<Kms, 'sign' | 'publicKeys'>;
      signingKeyName: string;
      clock: Clock;
      /**
       * The tenant's hash chain: every certificate issued is appended as `certificate:issued`
       * with the SHA-256 of its document (ADR 0011), in the erasure's flow — a failure to
       * append fails the step, and the outbox's retry appends it then.
       */
      audit?: AuditLog;
    },
  ) {}

  async recordErasure(record: ResumableErasureRecord): Promise<{ certificateId: string }> {
    const erasure = record.erasure;
    const existing = await this.deps.store.getDocument(erasure.tenantId, erasure.erasureId);
    if (existing !== undefined) {
      // A retry after the certificate was stored: its chain entry may be what failed.
      await this.chain(record, existing);
      return { certificateId: erasure.erasureId };
    }
    const issuedAtMs = this.deps.clock.now();
    const versions = await this.deps.kms.publicKeys(this.deps.signingKeyName);
    let version = versions[versions.length - 1]?.version ?? 1;
    for (let attempt = 1; ; attempt++) {
      const body = erasureCertificateBody(erasure, issuedAtMs, { name: this.deps.signingKeyName, version });
      const signed = await this.deps.kms.sign(this.deps.signingKeyName, erasureCertificateSigningBytes(body));
      if (signed.keyVersion === version) {
        const certificate: ErasureCertificate = { ...body, signature: signed.signature };
        const document = await this.deps.store.saveIfAbsent(certificate);
        await this.chain(record, document);
        return { certificateId: erasure.erasureId };
      }
      if (attempt >= MAX_SIGN_ATTEMPTS) throw new Error('the signing key kept rotating while a certificate was signed');
      version = signed.keyVersion;
    }
  }

  private async chain(record: ResumableErasureRecord, document: string): Promise<void> {
    if (!this.deps.audit) return;
    await this.deps.audit.append({
      tenantId: record.erasure.tenantId,
      actor: 'service:lifecycle',
      action: CERTIFICATE_ISSUED_ACTION,
      resource: certificateAuditResource(record.erasure.erasureId, document),
      outcome: 'success',
      atMs: this.deps.clock.now(),
    });
  }
}

export const CERTIFICATE_ISSUED_ACTION = 'certificate:issued';

/** SHA-256 (hex) of a certificate's document: the exact UTF-8 bytes served and signed over. */
export function certificateSha256(document: string): string {
  return createHash('sha256').update(document, 'utf8').digest('hex');
}

/** `certificate/<id>@sha256:<hex>`: the chain entry's resource names the certificate and its hash. */
export function certificateAuditResource(certificateId: string, document: string): string {
  return `certificate/${certificateId}@sha256:${certificateSha256(document)}`;
}
