import { generateKeyPairSync, sign } from 'node:crypto';
import { canonicalJson } from '../../src/domain/canonical-json';
import { deletionCertificateBody, verifyDeletionCertificate } from '../../src/domain/deletion-certificate';
import { erasureCertificateBody, erasureCertificateSigningBytes, erasureSubjectKey, type ErasureRequestRecord } from '../../src/domain/erasure';

const base: ErasureRequestRecord & { purgedAtMs: number } = {
  tenantId: 't1',
  erasureId: 'e-1',
  subject: { kind: 'meeting', meetingId: 'm-1' },
  requestedBy: 'u-1',
  reason: 'customer request',
  requestedAtMs: 1_000,
  cryptoErasedAtMs: 1_100,
  keysDestroyed: 2,
  keyRefs: ['data-key:m-1/meeting', 'data-key:m-1/audio'],
  purgedAtMs: 1_200,
  counts: { meetings: 1, segments: 400, alerts: 3, reports: 1 },
  outcome: 'pending',
};
const key = { name: 'confide-signing', version: 1 };

describe('erasure certificates', () => {
  it("are ADR 0011's v1 document, byte for byte, for a meeting", () => {
    const adr0011 = deletionCertificateBody(
      {
        certificateId: 'e-1',
        tenantId: 't1',
        meetingId: 'm-1',
        erased: { meetings: 1, segments: 400, alerts: 3, reports: 1 },
        cryptoErasedAtMs: 1_100,
        purgedAtMs: 1_200,
        requestedBy: 'u-1',
        reason: 'customer request',
        issuedAtMs: 1_300,
      },
      key,
    );
    expect(canonicalJson(erasureCertificateBody(base, 1_300, key))).toBe(canonicalJson(adr0011));
  });

  it('name tenants and users as subjects, the destroyed key references and what is kept; they verify with the published key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const publicKeys = [{ version: 1, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }];
    for (const subject of [{ kind: 'tenant' as const }, { kind: 'user' as const, userId: 'alice' }]) {
      const body = erasureCertificateBody(
        { ...base, subject, keyRefs: subject.kind === 'tenant' ? ['kms:confide-tenant-t1'] : [], counts: { segments: 4, data_keys: 2 } },
        1_300,
        key,
      );
      expect(body.subject).toEqual(subject.kind === 'tenant' ? { kind: 'tenant' } : { kind: 'user', user_id: 'alice' });
      expect(body.erased).toEqual({ meetings: 0, segments: 4, alerts: 0, reports: 0, data_keys: 2 });
      expect(body.kept?.length).toBeGreaterThan(0);
      const signature = `local:v1:${sign(null, erasureCertificateSigningBytes(body), privateKey).toString('base64')}`;
      const document = canonicalJson({ ...body, signature });
      expect(verifyDeletionCertificate(document, publicKeys).ok).toBe(true);
      expect(verifyDeletionCertificate(document.replace('"segments":4', '"segments":5'), publicKeys).ok).toBe(false);
    }
    expect([erasureSubjectKey({ kind: 'tenant' }), erasureSubjectKey({ kind: 'user', userId: 'a' }), erasureSubjectKey({ kind: 'meeting', meetingId: 'm' })]).toEqual([
      'tenant',
      'user/a',
      'meeting/m',
    ]);
  });
});
