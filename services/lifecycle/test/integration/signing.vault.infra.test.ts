import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { VaultTransitKms } from '@confide/platform';
import { PostgresAuditEventStore } from '../../src/adapters/postgres/audit-event.repository';
import { PostgresDeletionCertificateStore } from '../../src/adapters/postgres/deletion-certificate.repository';
import { verifyAuditExport } from '../../src/domain/audit-export.verifier';
import { verifyDeletionCertificate } from '../../src/domain/deletion-certificate';
import { publishedSigningKeys } from '../../src/domain/signing';
import { ChainedAuditLog } from '../../src/use-cases/chained-audit-log';
import { ExportAuditLog } from '../../src/use-cases/export-audit-log.use-case';
import { IssueDeletionCertificate } from '../../src/use-cases/issue-deletion-certificate.use-case';
import { SignAuditCheckpoint } from '../../src/use-cases/sign-audit-checkpoint.use-case';
import { infraTestDatabase, manualClock, openLifecycleDatabase, purgeTestTenants, sequentialIds, testTenants, uniqueTenant, type LifecycleTestContext } from './support/lifecycle-db';
import { readInfraEnv } from '@confide/testing';

/**
 * Certificates and checkpoints signed by Vault Transit (the infra OpenBao, `bash scripts/infra/up.sh`)
 * and stored in the infra PostgreSQL, verified offline with the published public keys only (Transit
 * publishes raw base64 keys). A run-unique signing key (`confide-it-<run>-signing`). Fails, never
 * skips, when either is not there.
 */

function vaultKms(): VaultTransitKms {
  const fromFile = readInfraEnv();
  const address = process.env.VAULT_ADDR ?? fromFile.VAULT_ADDR;
  const tokenFile = process.env.VAULT_TOKEN_FILE ?? fromFile.VAULT_TOKEN_FILE;
  if (!address || !tokenFile || !existsSync(tokenFile)) {
    throw new Error('VAULT_ADDR / VAULT_TOKEN_FILE are not set or the token file is missing: run `bash scripts/infra/up.sh openbao`.');
  }
  return new VaultTransitKms({ address, tokenFile, mountPath: process.env.VAULT_TRANSIT_MOUNT ?? fromFile.VAULT_TRANSIT_MOUNT ?? 'transit', timeoutMs: 10_000 });
}

describe('signing with Vault Transit (infra OpenBao + PostgreSQL), verified offline', () => {
  const keyName = `confide-it-${randomBytes(4).toString('hex')}-signing`;
  let ctx: LifecycleTestContext;
  let kms: VaultTransitKms;
  const clock = manualClock();

  beforeAll(async () => {
    kms = vaultKms();
    if ((await kms.health()) !== 'ok') throw new Error('OpenBao is not reachable or sealed: run `bash scripts/infra/up.sh openbao`.');
    await kms.createKey(keyName, 'ed25519');
    ctx = await openLifecycleDatabase(await infraTestDatabase());
  }, 60_000);

  afterAll(async () => {
    if (ctx) await purgeTestTenants(ctx.urls.migrationUrl, testTenants.splice(0));
    await ctx?.dispose();
    await kms?.destroyKey(keyName).catch(() => undefined);
  });

  it('issues a certificate that verifies with the published (raw base64) key and fails when modified', async () => {
    const tenant = uniqueTenant('vault-cert');
    const issue = new IssueDeletionCertificate({ store: new PostgresDeletionCertificateStore(ctx.app), kms, signingKeyName: keyName, clock, ids: sequentialIds('vcert') });
    const { certificate, document } = await issue.execute({
      tenantId: tenant, meetingId: 'm-1', requestedBy: 'u-owner', erasedAtMs: clock.now(), counts: { meetings: 1, segments: 3, alerts: 0, reports: 1 },
    });
    expect(certificate.signature).toMatch(/^vault:v1:/);
    const published = publishedSigningKeys(keyName, await kms.publicKeys(keyName));
    expect(verifyDeletionCertificate(document, published).ok).toBe(true);
    expect(verifyDeletionCertificate(document, published.keys.map((k) => ({ version: k.version, publicKeyBase64: k.public_key_base64 }))).ok).toBe(true);
    expect(verifyDeletionCertificate({ ...certificate, erased: { ...certificate.erased, segments: 2 } }, published).ok).toBe(false);
  });

  it('signs audit checkpoints whose export verifies offline', async () => {
    const tenant = uniqueTenant('vault-audit');
    const store = new PostgresAuditEventStore(ctx.app);
    const log = new ChainedAuditLog(store);
    for (let i = 0; i < 3; i++) await log.append({ tenantId: tenant, actor: 'u1', action: 'meeting:read', resource: `meeting/${i}`, outcome: 'success', atMs: i });
    const checkpoint = await new SignAuditCheckpoint({ store, kms, signingKeyName: keyName, clock }).execute(tenant);
    expect(checkpoint).toMatchObject({ seq: 3, keyVersion: 1, signature: expect.stringMatching(/^vault:v1:/) });
    const text = await new ExportAuditLog({ store, clock, signingKeyName: keyName }).text(tenant);
    const published = publishedSigningKeys(keyName, await kms.publicKeys(keyName));
    expect(verifyAuditExport(text, published)).toMatchObject({ ok: true, events: 3, checkpointedThroughSeq: 3 });
  });
});
