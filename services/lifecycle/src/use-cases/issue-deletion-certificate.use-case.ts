import { type Clock, type IdGenerator, type Kms } from '@confide/platform';
import { certificateSigningBytes, deletionCertificateBody, type DeletionCertificate } from '../domain/deletion-certificate';
import type { DeletionCertificateStore, StoredDeletionCertificate } from '../ports/deletion-certificate.port';
import type { ErasureLog, ErasureRecord } from '../ports/erasure-log.port';

/** A key rotation between reading the version and signing is retried this often. */
const MAX_SIGN_ATTEMPTS = 3;

/**
 * Issues the signed deletion certificate of an erasure (ADR 0011) and stores it; as an
 * `ErasureLog` it replaces `LoggingErasureLog` in DeleteMeeting. The certificate names the
 * version of the signing key, and the signature covers that too: the latest version is read
 * from `Kms.publicKeys`, and if `Kms.sign` reports another one (a rotation in between) the
 * certificate is rebuilt and signed again.
 */
export class IssueDeletionCertificate implements ErasureLog {
  constructor(
    private readonly deps: {
      store: DeletionCertificateStore;
      kms: Pick<Kms, 'sign' | 'publicKeys'>;
      signingKeyName: string;
      clock: Clock;
      ids: IdGenerator;
    },
  ) {}

  async recordErasure(record: ErasureRecord): Promise<void> {
    await this.execute(record);
  }

  async execute(record: ErasureRecord): Promise<StoredDeletionCertificate> {
    const facts = {
      certificateId: this.deps.ids.newId(),
      tenantId: record.tenantId,
      meetingId: record.meetingId,
      erased: record.counts,
      cryptoErasedAtMs: record.cryptoErasedAtMs ?? null,
      purgedAtMs: record.erasedAtMs,
      requestedBy: record.requestedBy,
      reason: record.reason ?? '',
      issuedAtMs: this.deps.clock.now(),
    };
    const versions = await this.deps.kms.publicKeys(this.deps.signingKeyName);
    let version = versions[versions.length - 1]?.version ?? 1;
    for (let attempt = 1; ; attempt++) {
      const body = deletionCertificateBody(facts, { name: this.deps.signingKeyName, version });
      const signed = await this.deps.kms.sign(this.deps.signingKeyName, certificateSigningBytes(body));
      if (signed.keyVersion === version) {
        const certificate: DeletionCertificate = { ...body, signature: signed.signature };
        return this.deps.store.save(certificate);
      }
      if (attempt >= MAX_SIGN_ATTEMPTS) throw new Error('the signing key kept rotating while a certificate was signed');
      version = signed.keyVersion;
    }
  }
}
