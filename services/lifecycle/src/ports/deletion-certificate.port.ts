import type { DeletionCertificate } from '../domain/deletion-certificate';

export interface StoredDeletionCertificate {
  certificate: DeletionCertificate;
  /** The exact canonical JSON that was stored (and is served). */
  document: string;
}

export interface DeletionCertificateStore {
  /** Stores the certificate (its canonical JSON); certificates are never updated. */
  save(certificate: DeletionCertificate): Promise<StoredDeletionCertificate>;
  get(tenantId: string, certificateId: string): Promise<StoredDeletionCertificate | undefined>;
  listForMeeting(tenantId: string, meetingId: string): Promise<StoredDeletionCertificate[]>;
}
