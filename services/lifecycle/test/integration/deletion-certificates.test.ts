import { SIGNING_KEY_NAME } from '@confide/platform';
import { PostgresDeletionCertificateStore } from '../../src/adapters/postgres/deletion-certificate.repository';
import { canonicalJson } from '../../src/domain/canonical-json';
import { verifyDeletionCertificate, type DeletionCertificate } from '../../src/domain/deletion-certificate';
import { publishedSigningKeys } from '../../src/domain/signing';
import type { ErasureLog } from '../../src/ports/erasure-log.port';
import { IssueDeletionCertificate } from '../../src/use-cases/issue-deletion-certificate.use-case';
import {
  DB_START_TIMEOUT_MS,
  manualClock,
  openLifecycleDatabase,
  openTestKms,
  sequentialIds,
  startEmbeddedTestDatabase,
  uniqueTenant,
  type LifecycleTestContext,
  type TestKms,
} from './support/lifecycle-db';

describe('deletion certificates on PostgreSQL (signed, stored, verified offline)', () => {
  let ctx: LifecycleTestContext;
  let keys: TestKms;
  let store: PostgresDeletionCertificateStore;
  let issue: IssueDeletionCertificate;
  const clock = manualClock(Date.UTC(2026, 11, 3, 12, 0, 0));

  beforeAll(async () => {
    ctx = await openLifecycleDatabase(await startEmbeddedTestDatabase());
    keys = await openTestKms();
    store = new PostgresDeletionCertificateStore(ctx.app);
    issue = new IssueDeletionCertificate({ store, kms: keys.kms, signingKeyName: SIGNING_KEY_NAME, clock, ids: sequentialIds('cert') });
  }, DB_START_TIMEOUT_MS);

  afterAll(async () => {
    await ctx?.dispose();
    await keys?.dispose();
  });

  const erasure = (tenantId: string, meetingId = 'm-1') => ({
    tenantId,
    meetingId,
    requestedBy: 'user-owner',
    erasedAtMs: clock.now() - 500,
    cryptoErasedAtMs: clock.now() - 1000,
    counts: { meetings: 1, segments: 42, alerts: 3, reports: 1 },
    reason: 'customer request',
  });

  const publicKeys = async () => publishedSigningKeys(SIGNING_KEY_NAME, await keys.kms.publicKeys(SIGNING_KEY_NAME));

  it('issues a signed certificate for an erasure and stores its exact canonical JSON', async () => {
    const tenant = uniqueTenant('cert');
    const { certificate, document } = await issue.execute(erasure(tenant));
    expect(certificate).toEqual({
      type: 'confide.deletion-certificate',
      version: 1,
      certificate_id: expect.stringMatching(/^cert-/),
      tenant_id: tenant,
      subject: { kind: 'meeting', meeting_id: 'm-1' },
      erased: { meetings: 1, segments: 42, alerts: 3, reports: 1 },
      crypto_erased_at: '2026-12-03T11:59:59.000Z',
      purged_at: '2026-12-03T11:59:59.500Z',
      requested_by: 'user-owner',
      reason: 'customer request',
      issued_at: '2026-12-03T12:00:00.000Z',
      signing_key_name: SIGNING_KEY_NAME,
      signing_key_version: 1,
      signature: expect.stringMatching(/^local:v1:/),
    });
    expect(document).toBe(canonicalJson(certificate));
    const stored = await store.get(tenant, certificate.certificate_id);
    expect(stored?.document).toBe(document);
    expect(await store.listForMeeting(tenant, 'm-1')).toEqual([stored]);
    expect(verifyDeletionCertificate(stored!.document, await publicKeys())).toEqual({ ok: true, signature: 'valid', certificateId: certificate.certificate_id });
  });

  it('serves as the ErasureLog of DeleteMeeting (no crypto-erasure recorded: null)', async () => {
    const tenant = uniqueTenant('cert-log');
    const log: ErasureLog = issue;
    await log.recordErasure({ tenantId: tenant, meetingId: 'm-9', requestedBy: 'svc-gateway', erasedAtMs: clock.now(), counts: { meetings: 1, segments: 0, alerts: 0, reports: 0 } });
    const [stored] = await store.listForMeeting(tenant, 'm-9');
    expect(stored!.certificate).toMatchObject({ crypto_erased_at: null, reason: '', requested_by: 'svc-gateway' });
    expect(verifyDeletionCertificate(stored!.certificate, await publicKeys()).ok).toBe(true);
  });

  it('fails verification when any field of the certificate is modified', async () => {
    const tenant = uniqueTenant('cert-mod');
    const { certificate } = await issue.execute(erasure(tenant));
    const keysNow = await publicKeys();
    const changes: Array<(c: DeletionCertificate) => void> = [
      (c) => (c.erased.segments = 41),
      (c) => (c.subject.meeting_id = 'm-2'),
      (c) => (c.tenant_id = 'another-tenant'),
      (c) => (c.purged_at = '2026-12-03T11:00:00.000Z'),
      (c) => (c.crypto_erased_at = null),
      (c) => (c.reason = 'routine'),
      (c) => (c.requested_by = 'someone-else'),
      (c) => (c.issued_at = '2030-01-01T00:00:00.000Z'),
    ];
    for (const change of changes) {
      const copy = JSON.parse(JSON.stringify(certificate)) as DeletionCertificate;
      change(copy);
      expect(verifyDeletionCertificate(copy, keysNow)).toMatchObject({ ok: false, signature: 'invalid' });
    }
    const wrongVersion = { ...certificate, signing_key_version: 2 };
    expect(verifyDeletionCertificate(wrongVersion, keysNow)).toMatchObject({ ok: false, signature: 'version-mismatch' });
    const extraField = { ...certificate, note: 'added later' };
    expect(verifyDeletionCertificate(extraField, keysNow).ok).toBe(false);
    expect(verifyDeletionCertificate('not json', keysNow)).toMatchObject({ ok: false, signature: 'malformed' });
  });

  it('fails verification with another KMS key, and verifies old certificates after a rotation', async () => {
    const tenant = uniqueTenant('cert-rot');
    const { certificate: before } = await issue.execute(erasure(tenant, 'm-a'));
    const other = await openTestKms();
    try {
      const stranger = publishedSigningKeys(SIGNING_KEY_NAME, await other.kms.publicKeys(SIGNING_KEY_NAME));
      expect(verifyDeletionCertificate(before, stranger)).toMatchObject({ ok: false, signature: 'invalid' });
    } finally {
      await other.dispose();
    }
    await keys.kms.rotateKey(SIGNING_KEY_NAME);
    const { certificate: after } = await issue.execute(erasure(tenant, 'm-b'));
    expect(after.signing_key_version).toBe(2);
    expect(after.signature).toMatch(/^local:v2:/);
    const all = await publicKeys();
    expect(verifyDeletionCertificate(before, all).ok).toBe(true);
    expect(verifyDeletionCertificate(after, all).ok).toBe(true);
    // Only the PEM, or only the raw base64 key, is enough.
    expect(verifyDeletionCertificate(after, all.keys.map((k) => ({ version: k.version, publicKeyBase64: k.public_key_base64 }))).ok).toBe(true);
  });

  it('keeps certificates to their tenant and append-only for the application role', async () => {
    const a = uniqueTenant('cert-a');
    const b = uniqueTenant('cert-b');
    const { certificate } = await issue.execute(erasure(a));
    expect(await store.get(b, certificate.certificate_id)).toBeUndefined();
    expect(await store.listForMeeting(b, 'm-1')).toEqual([]);
    await expect(ctx.asApp(a, `UPDATE deletion_certificates SET document = '{}' WHERE tenant_id = $1`, [a])).rejects.toThrow(/permission denied/);
    await expect(ctx.asApp(a, 'DELETE FROM deletion_certificates WHERE tenant_id = $1', [a])).rejects.toThrow(/permission denied/);
  });
});
