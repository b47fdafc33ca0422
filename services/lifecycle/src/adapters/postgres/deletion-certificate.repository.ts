import { TenantScopedDatabase } from '@confide/storage-service';
import type { DataSource } from 'typeorm';
import { canonicalJson } from '../../domain/canonical-json';
import type { DeletionCertificate } from '../../domain/deletion-certificate';
import type { DeletionCertificateStore, StoredDeletionCertificate } from '../../ports/deletion-certificate.port';

const stored = (document: string): StoredDeletionCertificate => ({ certificate: JSON.parse(document) as DeletionCertificate, document });

/**
 * `deletion_certificates` (append-only, RLS): the certificate is kept as the exact canonical
 * JSON that was signed, so what is served is byte for byte what was signed.
 */
export class PostgresDeletionCertificateStore implements DeletionCertificateStore {
  private readonly db: TenantScopedDatabase;

  constructor(dataSource: DataSource) {
    this.db = new TenantScopedDatabase(dataSource);
  }

  save(certificate: DeletionCertificate): Promise<StoredDeletionCertificate> {
    const document = canonicalJson(certificate);
    return this.db.withTenant(certificate.tenant_id, async (m) => {
      await m.query(
        `INSERT INTO deletion_certificates (tenant_id, certificate_id, meeting_id, issued_at_ms, signing_key_version, document)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [certificate.tenant_id, certificate.certificate_id, certificate.subject.meeting_id, Date.parse(certificate.issued_at), certificate.signing_key_version, document],
      );
      return stored(document);
    });
  }

  get(tenantId: string, certificateId: string): Promise<StoredDeletionCertificate | undefined> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows = (await m.query('SELECT document FROM deletion_certificates WHERE tenant_id = $1 AND certificate_id = $2', [tenantId, certificateId])) as Array<{ document: string }>;
      return rows[0] ? stored(rows[0].document) : undefined;
    });
  }

  listForMeeting(tenantId: string, meetingId: string): Promise<StoredDeletionCertificate[]> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows = (await m.query(
        'SELECT document FROM deletion_certificates WHERE tenant_id = $1 AND meeting_id = $2 ORDER BY issued_at_ms, certificate_id',
        [tenantId, meetingId],
      )) as Array<{ document: string }>;
      return rows.map((r) => stored(r.document));
    });
  }
}
