import type { Clock, Kms } from '@confide/platform';
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
    },
  ) {}

  async recordErasure(record: ResumableErasureRecord): Promise<{ certificateId: string }> {
    const erasure = record.erasure;
    const existing = await this.deps.store.getDocument(erasure.tenantId, erasure.erasureId);
    if (existing !== undefined) return { certificateId: erasure.erasureId };
    const issuedAtMs = this.deps.clock.now();
    const versions = await this.deps.kms.publicKeys(this.deps.signingKeyName);
    let version = versions[versions.length - 1]?.version ?? 1;
    for (let attempt = 1; ; attempt++) {
      const body = erasureCertificateBody(erasure, issuedAtMs, { name: this.deps.signingKeyName, version });
      const signed = await this.deps.kms.sign(this.deps.signingKeyName, erasureCertificateSigningBytes(body));
      if (signed.keyVersion === version) {
        const certificate: ErasureCertificate = { ...body, signature: signed.signature };
        await this.deps.store.saveIfAbsent(certificate);
        return { certificateId: erasure.erasureId };
      }
      if (attempt >= MAX_SIGN_ATTEMPTS) throw new Error('the signing key kept rotating while a certificate was signed');
      version = signed.keyVersion;
    }
  }
}
