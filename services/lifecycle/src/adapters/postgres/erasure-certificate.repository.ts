import { TenantScopedDatabase } from '@confide/storage-service';
import type { DataSource } from 'typeorm';
import { canonicalJson } from '../../domain/canonical-json';
import type { ErasureCertificate } from '../../domain/erasure';
import type { ErasureCertificateStore } from '../../ports/erasure-certificate-store.port';

/**
 * Certificates of every erasure subject in `deletion_certificates` (ADR 0011's table; append
 * only). `meeting_id` holds the meeting for a meeting's certificate and '' for a user's or a
 * tenant's. The document is the exact canonical JSON that was signed.
 */
export class PostgresErasureCertificateStore implements ErasureCertificateStore {
  private readonly db: TenantScopedDatabase;

  constructor(dataSource: DataSource) {
    this.db = new TenantScopedDatabase(dataSource);
  }

  async saveIfAbsent(certificate: ErasureCertificate): Promise<string> {
    const document = canonicalJson(certificate);
    const meetingId = certificate.subject.kind === 'meeting' ? certificate.subject.meeting_id : '';
    return this.db.withTenant(certificate.tenant_id, async (m) => {
      await m.query(
        `INSERT INTO deletion_certificates (tenant_id, certificate_id, meeting_id, issued_at_ms, signing_key_version, document)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, certificate_id) DO NOTHING`,
        [certificate.tenant_id, certificate.certificate_id, meetingId, Date.parse(certificate.issued_at), certificate.signing_key_version, document],
      );
      const rows = (await m.query('SELECT document FROM deletion_certificates WHERE tenant_id = $1 AND certificate_id = $2', [
        certificate.tenant_id,
        certificate.certificate_id,
      ])) as Array<{ document: string }>;
      if (!rows[0]) throw new Error('deletion certificate row vanished');
      return rows[0].document;
    });
  }

  async getDocument(tenantId: string, certificateId: string): Promise<string | undefined> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows = (await m.query('SELECT document FROM deletion_certificates WHERE tenant_id = $1 AND certificate_id = $2', [tenantId, certificateId])) as Array<{
        document: string;
      }>;
      return rows[0]?.document;
    });
  }
}
