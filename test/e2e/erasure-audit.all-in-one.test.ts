import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startAllInOne, streamMeetingAudio, verifyAuditCommand, verifyCertificateCommand, type RunningPlatform } from '@confide/cli';
import { certificateSha256, verifyDeletionCertificate, type PublishedSigningKeys } from '@confide/lifecycle-service';
import { synthesize } from '@confide/testing';

/**
 * Issue 6's erasure and audit surface end to end through the all-in-one platform (embedded
 * PostgreSQL, local KMS, the development issuer's tokens, the real policy):
 * the published certificate keys, the retention policy, a user's and a whole tenant's erasure
 * with certificates verified by `confide certificate verify`, `GET /api/audit` holding each
 * certificate's hash, `confide audit verify` naming a tampered entry, and the audit log failing
 * closed: with audit_events unwritable for the application role, a transcript read is refused.
 */
describe('erasure, certificates and the fail-closed audit log, all-in-one', () => {
  let platform: RunningPlatform;
  let stateDir: string;
  const tenant = 'tenant-erasure-e2e';
  const doomed = 'tenant-doomed-e2e';
  const meetingId = `m-${randomUUID()}`;
  const doomedMeeting = `m-${randomUUID()}`;

  type Headers = Record<string, string>;
  const bearer = (token: string): Headers => ({ Authorization: `Bearer ${token}` });
  let admin: Headers;
  let adminNoMfa: Headers;
  let auditor: Headers;
  let member: Headers;
  let doomedOwner: Headers;
  let doomedAdmin: Headers;
  const api = (p: string) => `${platform.httpBaseUrl}/api${p}`;
  const json = (headers: Headers) => ({ ...headers, 'Content-Type': 'application/json' });
  /** The tenant is the token's; it is named here for the reader. */
  const transcript = (_tenant: string, m: string, headers: Headers) => fetch(api(`/meetings/${m}/transcript`), { headers });

  async function asRole(url: string, statements: Array<[string, unknown[]?]>): Promise<void> {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      for (const [sql, params] of statements) await c.query(sql, params ?? []);
    } finally {
      await c.end();
    }
  }
  const asMigrationRole = (sql: string, params: unknown[] = []) => asRole(platform.database.migrationUrl, [[sql, params]]);

  async function stream(tenantId: string, id: string, headers: Headers): Promise<number> {
    const pcm = await synthesize('please send the budget report to the finance team', 'slt');
    const result = await streamMeetingAudio({
      address: platform.grpcAddress,
      token: await platform.mintToken({ tenant: tenantId, user: 'member-e2e', roles: ['member'] }),
      tenantId,
      meetingId: id,
      title: 'e2e',
      participants: [{ id: 'alice', speakerLabel: 'Alice' }],
      tracks: new Map([['alice', pcm]]),
      realtime: false,
    });
    expect(result.finals.length).toBeGreaterThan(0);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const res = await transcript(tenantId, id, headers);
      if (res.status === 200 && ((await res.json()) as { segments: unknown[] }).segments.length === result.finals.length) return result.finals.length;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the transcript was not stored in time');
  }

  const file = (name: string, text: string): string => {
    const p = path.join(stateDir, name);
    writeFileSync(p, text);
    return p;
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'confide-e2e-erasure-'));
    platform = await startAllInOne({
      GRPC_ADDR: '127.0.0.1:0',
      GATEWAY_HTTP_ADDR: '127.0.0.1:0',
      STATE_DIR: stateDir,
      LOG_LEVEL: 'silent',
      AUDIT_CHECKPOINT_INTERVAL_MS: '200',
    });
    admin = bearer(await platform.mintToken({ tenant, user: 'admin-e2e', roles: ['admin'], mfa: true }));
    adminNoMfa = bearer(await platform.mintToken({ tenant, user: 'admin-e2e', roles: ['admin'], mfa: false }));
    auditor = bearer(await platform.mintToken({ tenant, user: 'auditor-e2e', roles: ['auditor'], mfa: true }));
    member = bearer(await platform.mintToken({ tenant, user: 'member-e2e', roles: ['member'], mfa: true }));
    doomedOwner = bearer(await platform.mintToken({ tenant: doomed, user: 'owner-e2e', roles: ['owner'], mfa: true }));
    doomedAdmin = bearer(await platform.mintToken({ tenant: doomed, user: 'admin-e2e', roles: ['admin'], mfa: true }));
    await stream(tenant, meetingId, admin);
    await stream(doomed, doomedMeeting, doomedOwner);
  }, 240_000);

  afterAll(async () => {
    await platform?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('publishes the certificate keys at the well-known URL without authentication (and /api/signing-keys agrees)', async () => {
    const res = await fetch(`${platform.httpBaseUrl}/.well-known/confide/certificate-keys`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=/);
    const keys = (await res.json()) as PublishedSigningKeys;
    expect(keys).toMatchObject({ key_name: 'confide-signing', algorithm: 'ed25519' });
    expect(keys.keys[0]).toMatchObject({ version: 1, created_at: expect.any(String) });
    const alias = await fetch(api('/signing-keys'), { headers: auditor });
    expect(JSON.parse(JSON.stringify(await alias.json()))).toEqual(JSON.parse(JSON.stringify(keys)));
  });

  it('fails closed: with audit_events unwritable for the application role a transcript read is refused (503, nothing revealed)', async () => {
    const appRole = decodeURIComponent(new URL(platform.database.url).username);
    expect((await transcript(tenant, meetingId, admin)).status).toBe(200);
    await asMigrationRole(`REVOKE INSERT ON audit_events FROM "${appRole.replace(/"/g, '""')}"`);
    try {
      const refused = await transcript(tenant, meetingId, admin);
      expect(refused.status).toBe(503);
      const body = await refused.text();
      expect(body).not.toMatch(/budget|finance|segments/i);
      expect(JSON.parse(body)).toMatchObject({ error: { code: 'unavailable' } });
    } finally {
      await asMigrationRole(`GRANT INSERT ON audit_events TO "${appRole.replace(/"/g, '""')}"`);
    }
    expect((await transcript(tenant, meetingId, admin)).status).toBe(200);
  });

  it('retention policy: admins read it, admins with MFA set it; members are refused', async () => {
    const initial = await fetch(api('/tenant/retention'), { headers: adminNoMfa });
    expect(initial.status).toBe(200);
    expect(await initial.json()).toMatchObject({ days: 90, action: 'delete', isDefault: true });
    const body = JSON.stringify({ days: 30, action: 'archive' });
    expect((await fetch(api('/tenant/retention'), { method: 'PUT', headers: json(adminNoMfa), body })).status).toBe(403);
    const set = await fetch(api('/tenant/retention'), { method: 'PUT', headers: json(admin), body });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ days: 30, action: 'archive', isDefault: false, updatedBy: 'admin-e2e' });
    expect((await fetch(api('/tenant/retention'), { headers: member })).status).toBe(403);
  });

  it("erases a user's data with a certificate that `confide certificate verify` accepts; its hash is in GET /api/audit", async () => {
    const res = await fetch(api('/users/alice/data'), { method: 'DELETE', headers: json(admin), body: JSON.stringify({ reason: 'GDPR art. 17' }) });
    expect(res.status).toBe(200);
    const erased = (await res.json()) as { certificateId: string; certificate: Record<string, unknown>; erased: { segments: number } };
    expect(erased.erased.segments).toBeGreaterThan(0);
    expect(erased.certificate).toMatchObject({ subject: { kind: 'user', user_id: 'alice' }, requested_by: 'admin-e2e' });
    // The transcript of alice's track is gone.
    const after = await transcript(tenant, meetingId, admin);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { segments: unknown[] }).segments).toEqual([]);

    // Offline, from the URL (token for the certificate, keys from the well-known URL) and from files.
    const certificateUrl = api(`/certificates/${erased.certificateId}`);
    const auditorToken = auditor.Authorization!.slice('Bearer '.length);
    expect(await verifyCertificateCommand(certificateUrl, {}, { token: auditorToken })).toMatchObject({ exitCode: 0 });
    const document = await (await fetch(certificateUrl, { headers: auditor })).text();
    const keys = await (await fetch(`${platform.httpBaseUrl}/.well-known/confide/certificate-keys`)).text();
    const keysFile = file('keys.json', keys);
    expect((await verifyCertificateCommand(file('cert.json', document), { keys: keysFile })).exitCode).toBe(0);
    expect((await verifyCertificateCommand(file('cert-changed.json', document.replace('"alice"', '"alicf"')), { keys: keysFile })).exitCode).toBe(1);

    // GET /api/audit: the certificate's SHA-256 is chained; auditors page it, members may not.
    const entries: Array<{ seq: number; action: string; resource: string }> = [];
    let after2: number | null = 0;
    while (after2 !== null) {
      const page = await fetch(api(`/audit?pageSize=100&after=${after2}`), { headers: auditor });
      expect(page.status).toBe(200);
      const body = (await page.json()) as { entries: typeof entries; nextAfter: number | null };
      entries.push(...body.entries);
      after2 = body.nextAfter;
    }
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_e, i) => i + 1));
    expect(entries).toContainEqual(expect.objectContaining({ action: 'certificate:issued', resource: `certificate/${erased.certificateId}@sha256:${certificateSha256(document)}` }));
    expect(entries).toContainEqual(expect.objectContaining({ action: 'user:erase-data' }));
    expect(JSON.stringify(entries)).not.toMatch(/GDPR|budget/);
    expect((await fetch(api('/audit'), { headers: member })).status).toBe(403);
  });

  it('`confide audit verify` accepts the export and names the entry modified in PostgreSQL as the owner', async () => {
    const exportText = async () => {
      const res = await fetch(api('/audit/export'), { headers: auditor });
      expect(res.status).toBe(200);
      return res.text();
    };
    const keysFile = file('keys2.json', await (await fetch(`${platform.httpBaseUrl}/.well-known/confide/certificate-keys`)).text());
    const intact = await verifyAuditCommand(file('export.jsonl', await exportText()), { keys: keysFile });
    expect(intact.exitCode).toBe(0);
    // The application role cannot rewrite the log at all.
    await expect(
      asRole(platform.database.url, [[`SELECT set_config('app.tenant_id', $1, false)`, [tenant]], [`UPDATE audit_events SET actor = 'x' WHERE tenant_id = $1 AND seq = 2`, [tenant]]]),
    ).rejects.toThrow(/permission denied|append-only/);
    await expect(
      asRole(platform.database.url, [[`SELECT set_config('app.tenant_id', $1, false)`, [tenant]], ['DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 2', [tenant]]]),
    ).rejects.toThrow(/permission denied|append-only/);
    // The owner can, with the append-only trigger off (a malicious DBA): the verifier names the entry.
    await asRole(platform.database.migrationUrl, [
      ['ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only'],
      [`UPDATE audit_events SET actor = 'someone-else' WHERE tenant_id = $1 AND seq = 2`, [tenant]],
      ['ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only'],
    ]);
    const tampered = await verifyAuditCommand(file('export-tampered.jsonl', await exportText()), { keys: keysFile });
    expect(tampered.exitCode).toBe(1);
    expect(tampered.lines[0]).toBe(`INVALID: tenant ${tenant}: first modified entry: entry seq 2 (line 3) was modified: its hash does not match its content`);
  });

  it('erases a whole tenant: owners only (MFA); the key is destroyed before the answer; the certificate verifies offline', async () => {
    expect((await fetch(api('/tenant/data'), { method: 'DELETE', headers: doomedAdmin })).status).toBe(403);
    const started = Date.now();
    const res = await fetch(api('/tenant/data'), { method: 'DELETE', headers: json(doomedOwner), body: JSON.stringify({ reason: 'offboarding' }) });
    expect([200, 202]).toContain(res.status);
    let body = (await res.json()) as {
      cryptoErased: boolean;
      cryptoErasedAt: string;
      purge: { status: string };
      certificateId: string | null;
      certificate: Record<string, unknown> | null;
    };
    expect(body.cryptoErased).toBe(true);
    expect(Date.parse(body.cryptoErasedAt)).toBeGreaterThanOrEqual(started - 1000);
    // Nothing of the tenant reads any more, at once.
    expect((await transcript(doomed, doomedMeeting, doomedOwner)).status).not.toBe(200);
    if (res.status === 202) {
      expect(body.purge.status).toBe('in-progress');
      // Repeating the request resumes the same erasure and yields the certificate.
      const again = await fetch(api('/tenant/data'), { method: 'DELETE', headers: json(doomedOwner), body: JSON.stringify({ reason: 'offboarding' }) });
      body = (await again.json()) as typeof body;
    }
    expect(body.purge.status).toBe('completed');
    expect(body.certificate).toMatchObject({ subject: { kind: 'tenant' }, tenant_id: doomed, method: { destroyed_keys: [expect.stringContaining(doomed)] } });
    const keys = JSON.parse(await (await fetch(`${platform.httpBaseUrl}/.well-known/confide/certificate-keys`)).text()) as PublishedSigningKeys;
    const certificate = JSON.parse(JSON.stringify(body.certificate)) as Record<string, unknown>;
    expect(verifyDeletionCertificate(certificate, keys).ok).toBe(true);
    expect(verifyDeletionCertificate({ ...certificate, reason: 'offboardinh' }, keys).ok).toBe(false);
    // The erased tenant's own certificate stays readable (kept, said so in the certificate).
    const doomedAuditor = bearer(await platform.mintToken({ tenant: doomed, user: 'auditor-e2e', roles: ['auditor'], mfa: true }));
    const served = await fetch(api(`/certificates/${body.certificateId}`), { headers: doomedAuditor });
    expect(served.status).toBe(200);
    expect(verifyDeletionCertificate(await served.text(), keys).ok).toBe(true);
    // The other tenant is untouched.
    expect((await transcript(tenant, meetingId, admin)).status).toBe(200);
  });
});
