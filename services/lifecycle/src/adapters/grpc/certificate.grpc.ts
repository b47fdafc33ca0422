import {
  CertificateServiceService,
  type CertificateServiceServer,
  type DeletionCertificate as ProtoCertificate,
  type GetDeletionCertificateRequest,
  type GetDeletionCertificateResponse,
  type GetSigningKeysRequest,
  type GetSigningKeysResponse,
  type ListDeletionCertificatesRequest,
  type ListDeletionCertificatesResponse,
} from '@confide/contracts';
import { notFound, type GrpcServiceRegistration, type Kms, type Logger, type RpcAuthorizationDeps } from '@confide/platform';
import { publishedSigningKeys } from '../../domain/signing';
import { requireId } from '../../domain/staff-grant';
import type { DeletionCertificateStore, StoredDeletionCertificate } from '../../ports/deletion-certificate.port';
import { guardedUnary } from './rpc-guard';

export const CERTIFICATE_SERVICE_NAME = 'confide.lifecycle.v1.CertificateService';

export interface CertificateGrpcDeps {
  logger: Logger;
  store: DeletionCertificateStore;
  kms: Pick<Kms, 'publicKeys'>;
  signingKeyName: string;
  /** As LifecycleService: without it every RPC is refused (UNAUTHENTICATED). */
  authorization?: RpcAuthorizationDeps;
}

export function toProtoCertificate(stored: StoredDeletionCertificate): ProtoCertificate {
  const c = stored.certificate;
  return {
    certificateId: c.certificate_id,
    tenantId: c.tenant_id,
    meetingId: c.subject.meeting_id,
    issuedAtUnixMs: Date.parse(c.issued_at),
    signingKeyVersion: c.signing_key_version,
    document: stored.document,
  };
}

/**
 * confide.lifecycle.v1.CertificateService: signed deletion certificates of the tenant
 * (`certificate:read`: owners, admins, auditors) and the published public signing keys
 * (nothing secret; the caller service's `rpc:` action only). The document served is the exact
 * canonical JSON that was signed.
 */
export function certificateGrpcService(deps: CertificateGrpcDeps): GrpcServiceRegistration {
  const { logger, authorization } = deps;
  const method = (name: string): string => `${CERTIFICATE_SERVICE_NAME}/${name}`;
  const implementation: CertificateServiceServer = {
    getDeletionCertificate: guardedUnary<GetDeletionCertificateRequest, GetDeletionCertificateResponse>(
      logger,
      authorization,
      { method: method('GetDeletionCertificate'), user: { action: 'certificate:read', resource: (req) => ({ tenant: req.tenantId, kind: 'certificate' }) } },
      async (req) => {
        const stored = await deps.store.get(requireId('tenant_id', req.tenantId), requireId('certificate_id', req.certificateId));
        if (!stored) throw notFound('certificate not found');
        return { certificate: toProtoCertificate(stored) };
      },
    ),
    listDeletionCertificates: guardedUnary<ListDeletionCertificatesRequest, ListDeletionCertificatesResponse>(
      logger,
      authorization,
      {
        method: method('ListDeletionCertificates'),
        user: { action: 'certificate:read', resource: (req) => ({ tenant: req.tenantId, meeting: req.meetingId, kind: 'certificate' }) },
      },
      async (req) => {
        const stored = await deps.store.listForMeeting(requireId('tenant_id', req.tenantId), requireId('meeting_id', req.meetingId));
        return { certificates: stored.map(toProtoCertificate) };
      },
    ),
    getSigningKeys: guardedUnary<GetSigningKeysRequest, GetSigningKeysResponse>(
      logger,
      authorization,
      { method: method('GetSigningKeys') },
      async () => {
        const doc = publishedSigningKeys(deps.signingKeyName, await deps.kms.publicKeys(deps.signingKeyName));
        return {
          keyName: doc.key_name,
          algorithm: doc.algorithm,
          keys: doc.keys.map((k) => ({ version: k.version, publicKeyPem: k.public_key_pem, publicKeyBase64: k.public_key_base64, createdAt: k.created_at })),
        };
      },
    ),
  };
  return { name: CERTIFICATE_SERVICE_NAME, definition: CertificateServiceService, implementation };
}
