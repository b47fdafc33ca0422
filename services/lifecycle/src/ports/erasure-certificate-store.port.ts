import type { ErasureCertificate } from '../domain/erasure';

/** Signed certificates of erasures of any subject (`deletion_certificates`). */
export interface ErasureCertificateStore {
  /** Stores the certificate unless one with its id exists; returns the stored canonical JSON. */
  saveIfAbsent(certificate: ErasureCertificate): Promise<string>;
  getDocument(tenantId: string, certificateId: string): Promise<string | undefined>;
}
