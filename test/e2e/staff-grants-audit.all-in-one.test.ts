import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startAllInOne, streamMeetingAudio, type RunningPlatform } from '@confide/cli';
import { verifyAuditExport, verifyDeletionCertificate, type PublishedSigningKeys } from '@confide/lifecycle-service';
import { synthesize } from '@confide/testing';

/**
 * Promises 5, 6 and 7 end to end through the all-in-one platform (embedded PostgreSQL, local
 * KMS, real tokens from its development issuer, the real policy): staff-access grants through
 * `/api/access-grants` (lifecycle's staff_grants table is the policy's GrantStore everywhere),
 * signed deletion certificates verified offline with `/api/signing-keys`, and the tenant's
 * hash-chained audit log exported and verified offline.
 */
describe('staff grants, deletion certificates and the audit log, all-in-one', () => {
  let platform: RunningPlatform;
  let stateDir: string;
  const tenant = 'tenant-grants';
  const granted = `m-granted-${randomUUID()}`;
  const other = `m-other-${randomUUID()}`;
  const transcriptTexts: string[] = [];
  const REASON = 'support ticket 8812: customer cannot see the summary';

  type Headers = Record<string, string>;
  const bearer = (token: string): Headers => ({ Authorization: `Bearer ${token}` });
  let admin: Headers;
  let adminNoMfa: Headers;
  let member: Headers;
  let auditor: Headers;
  let auditorNoMfa: Headers;
  let staff: Headers;
  const api = (p: string) => `${platform.httpBaseUrl}/api${p}`;
  const json = (headers: Headers) => ({ ...headers, 'Content-Type': 'application/json' });
  const transcript = (meetingId: string, headers: Headers) => fetch(api(`/meetings/${meetingId}/transcript`), { headers });

  async function expectForbidden(res: Response): Promise<void> {
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'forbidden', message: 'the request is not permitted' });
  }

  async function requestGrant(body: Record<string, unknown>): Promise<string> {
    const res = await fetch(api('/access-grants'), { method: 'POST', headers: json(staff), body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    const grant = (await res.json()) as { grantId: string; status: string; staffId: string; reason: string };
    expect(grant).toMatchObject({ status: 'pending', staffId: 'staff-e2e', reason: body.reason });
    return grant.grantId;
  }

  async function signingKeys(headers: Headers): Promise<PublishedSigningKeys> {
    const res = await fetch(api('/signing-keys'), { headers });
    expect(res.status).toBe(200);
    return (await res.json()) as PublishedSigningKeys;
  }

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'confide-e2e-grants-'));
    platform = await startAllInOne({
      GRPC_ADDR: '127.0.0.1:0',
      GATEWAY_HTTP_ADDR: '127.0.0.1:0',
      STATE_DIR: stateDir,
      LOG_LEVEL: 'silent',
      AUDIT_CHECKPOINT_INTERVAL_MS: '200',
    });
    admin = bearer(await platform.mintToken({ tenant, user: 'admin-e2e', roles: ['admin'], mfa: true }));
    adminNoMfa = bearer(await platform.mintToken({ tenant, user: 'admin-e2e', roles: ['admin'], mfa: false }));
    member = bearer(await platform.mintToken({ tenant, user: 'member-e2e', roles: ['member'], mfa: true }));
    auditor = bearer(await platform.mintToken({ tenant, user: 'auditor-e2e', roles: ['auditor'], mfa: true }));
    auditorNoMfa = bearer(await platform.mintToken({ tenant, user: 'auditor-e2e', roles: ['auditor'], mfa: false }));
    staff = { ...bearer(await platform.mintToken({ tenant: '', user: 'staff-e2e', staff: true, mfa: true })), 'X-Confide-Tenant': tenant };

    const pcm = await synthesize('please send the budget report to the finance team', 'slt');
    for (const meetingId of [granted, other]) {
      const result = await streamMeetingAudio({
        address: platform.grpcAddress,
        token: await platform.mintToken({ tenant, user: 'member-e2e', roles: ['member'] }),
        tenantId: tenant,
        meetingId,
        title: 'e2e',
        participants: [{ id: 'alice', speakerLabel: 'Alice' }],
        tracks: new Map([['alice', pcm]]),
        realtime: false,
      });
      expect(result.finals.length).toBeGreaterThan(0);
      const deadline = Date.now() + 30_000;
      let count = 0;
      while (Date.now() < deadline) {
        const res = await transcript(meetingId, admin);
        if (res.status === 200) {
          const body = (await res.json()) as { segments: Array<{ text: string }> };
          count = body.segments.length;
          if (count === result.finals.length) {
            transcriptTexts.push(...body.segments.map((s) => s.text).filter((t) => t.length > 0));
            break;
          }
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(count).toBe(result.finals.length);
    }
    expect(transcriptTexts.length).toBeGreaterThan(0);
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('staff: 403 without a grant; a reasoned request approved only by an admin with MFA; one meeting only; revoked is 403', async () => {
    await expectForbidden(await transcript(granted, staff));

    // A request without a reason is refused before anything is stored.
    const noReason = await fetch(api('/access-grants'), { method: 'POST', headers: json(staff), body: JSON.stringify({ scope: 'meeting', meetingId: granted }) });
    expect(noReason.status).toBe(400);
    const grantId = await requestGrant({ reason: REASON, scope: 'meeting', meetingId: granted });
    // Pending is not access.
    await expectForbidden(await transcript(granted, staff));

    // The member cannot approve, the admin without MFA cannot, staff cannot approve their own.
    for (const headers of [member, adminNoMfa, staff]) {
      await expectForbidden(await fetch(api(`/access-grants/${grantId}/approve`), { method: 'POST', headers }));
    }
    const listed = await fetch(api('/access-grants'), { headers: admin });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { grants: Array<{ grantId: string; status: string }> }).grants).toContainEqual(
      expect.objectContaining({ grantId, status: 'pending' }),
    );
    const approved = await fetch(api(`/access-grants/${grantId}/approve`), { method: 'POST', headers: admin });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ grantId, status: 'approved', approvedBy: 'admin-e2e', scope: 'meeting', meetingId: granted });

    // The granted meeting reads (gateway and storage both check the grant); another does not.
    const read = await transcript(granted, staff);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { segments: unknown[] }).segments.length).toBeGreaterThan(0);
    await expectForbidden(await transcript(other, staff));
    await expectForbidden(await fetch(api('/meetings'), { headers: staff }));
    await expectForbidden(await fetch(api(`/meetings/${granted}`), { method: 'DELETE', headers: staff }));

    // Staff see their own grants.
    const own = await fetch(api('/access-grants'), { headers: staff });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { grants: Array<{ staffId: string }> }).grants.every((g) => g.staffId === 'staff-e2e')).toBe(true);

    // Revoked (by the admin with MFA; not by the member): 403 again.
    await expectForbidden(await fetch(api(`/access-grants/${grantId}`), { method: 'DELETE', headers: member }));
    const revoked = await fetch(api(`/access-grants/${grantId}`), { method: 'DELETE', headers: admin });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ status: 'revoked', revokedBy: 'admin-e2e' });
    await expectForbidden(await transcript(granted, staff));
  });

  it('a denied request gives nothing; an expired grant is 403', async () => {
    const deniedId = await requestGrant({ reason: 'ticket 2', scope: 'tenant' });
    const denied = await fetch(api(`/access-grants/${deniedId}/deny`), { method: 'POST', headers: admin });
    expect(denied.status).toBe(200);
    expect(await denied.json()).toMatchObject({ status: 'denied', deniedBy: 'admin-e2e' });
    await expectForbidden(await transcript(granted, staff));

    // A short grant: readable while it lasts, refused once it has expired.
    const shortId = await requestGrant({ reason: 'ticket 3', scope: 'tenant', durationMs: 4000 });
    const approved = await fetch(api(`/access-grants/${shortId}/approve`), { method: 'POST', headers: admin });
    expect(approved.status).toBe(200);
    const expiresAt = Date.parse(((await approved.json()) as { expiresAt: string }).expiresAt);
    expect((await transcript(granted, staff)).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 500));
    await expectForbidden(await transcript(granted, staff));
    const listed = (await (await fetch(api('/access-grants'), { headers: admin })).json()) as { grants: Array<{ grantId: string; status: string }> };
    expect(listed.grants).toContainEqual(expect.objectContaining({ grantId: shortId, status: 'expired' }));
  });

  it('erasure: DELETE returns the certificate; GET /api/certificates/:id serves it; it verifies offline; a modified copy does not', async () => {
    const del = await fetch(api(`/meetings/${other}`), { method: 'DELETE', headers: json(admin), body: JSON.stringify({ reason: 'customer request' }) });
    expect(del.status).toBe(200);
    const erasure = (await del.json()) as { meetingId: string; certificateId: string; certificate: Record<string, unknown> };
    expect(erasure.certificateId).toEqual(expect.any(String));
    expect(erasure.certificate).toMatchObject({
      type: 'confide.deletion-certificate',
      certificate_id: erasure.certificateId,
      tenant_id: tenant,
      subject: { kind: 'meeting', meeting_id: other },
      requested_by: 'admin-e2e',
    });

    const fetched = await fetch(api(`/certificates/${erasure.certificateId}`), { headers: auditor });
    expect(fetched.status).toBe(200);
    const document = await fetched.text();
    expect(JSON.parse(document)).toEqual(erasure.certificate);
    const keys = await signingKeys(auditor);
    expect(keys).toMatchObject({ key_name: 'confide-signing', algorithm: 'ed25519' });
    expect(verifyDeletionCertificate(document, keys).ok).toBe(true);
    // fetch's json() builds its objects in Node's realm, not the test's: re-parse here.
    const certificate = JSON.parse(JSON.stringify(erasure.certificate)) as Record<string, unknown>;
    expect(verifyDeletionCertificate(certificate, keys).ok).toBe(true);
    const erased = certificate.erased as Record<string, number>;
    expect(verifyDeletionCertificate({ ...certificate, erased: { ...erased, segments: erased.segments! + 1 } }, keys).ok).toBe(false);
    expect(verifyDeletionCertificate({ ...certificate, requested_by: 'someone-else' }, keys).ok).toBe(false);
    expect(verifyDeletionCertificate(document.replace('admin-e2e', 'admin-e3e'), keys).ok).toBe(false);

    // Members and staff do not read certificates; another tenant's admin finds none.
    await expectForbidden(await fetch(api(`/certificates/${erasure.certificateId}`), { headers: member }));
    await expectForbidden(await fetch(api(`/certificates/${erasure.certificateId}`), { headers: staff }));
    const stranger = bearer(await platform.mintToken({ tenant: 'tenant-stranger', user: 'admin-x', roles: ['admin'], mfa: true }));
    expect((await fetch(api(`/certificates/${erasure.certificateId}`), { headers: stranger })).status).toBe(404);
    expect((await transcript(other, admin)).status).toBe(404);
  });

  it('audit: the export verifies offline, records reads, denials and grant steps, and holds no content', async () => {
    // A denial to be found in the log, then a checkpoint interval.
    await expectForbidden(await fetch(api(`/meetings/${granted}`), { method: 'DELETE', headers: adminNoMfa }));
    await new Promise((r) => setTimeout(r, 600));

    await expectForbidden(await fetch(api('/audit/export'), { headers: member }));
    await expectForbidden(await fetch(api('/audit/export'), { headers: auditorNoMfa }));
    await expectForbidden(await fetch(api('/audit/export'), { headers: staff }));
    const res = await fetch(api('/audit/export'), { headers: auditor });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jsonl; charset=utf-8');
    const text = await res.text();
    const lines = text.split('\n').filter((l) => l.length > 0);
    const keys = await signingKeys(auditor);
    const result = verifyAuditExport(lines, keys);
    expect(result).toMatchObject({ ok: true });
    expect(result.checkpointedThroughSeq).toBeGreaterThan(0);

    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.type === 'event');
    const seen = new Set(events.map((e) => `${String(e.actor)} ${String(e.action)} ${String(e.decision)}`));
    for (const expected of [
      'staff-e2e transcript:read deny',
      'staff-e2e transcript:read allow',
      'staff-e2e grant:request allow',
      'member-e2e grant:approve deny',
      'admin-e2e grant:approve deny',
      'admin-e2e grant:approve allow',
      'admin-e2e grant:revoke allow',
      'admin-e2e grant:deny allow',
      'admin-e2e transcript:read allow',
      'admin-e2e meeting:delete allow',
      'admin-e2e meeting:delete deny',
      'member-e2e audit:export deny',
    ]) {
      expect(seen).toContain(expected);
    }
    expect(events.some((e) => (e.obligations as string[]).includes('staff-access'))).toBe(true);

    // Ids and decisions only: no transcript text, no grant or erasure reason.
    for (const t of transcriptTexts) expect(text).not.toContain(t);
    expect(text).not.toContain(REASON);
    expect(text).not.toContain('customer request');

    // Tampering is detected: a modified event fails verification.
    const tampered = lines.map((l) => (l.includes('"admin-e2e"') && l.includes('"meeting:delete"') ? l.replace('"allow"', '"deny"') : l));
    expect(verifyAuditExport(tampered, keys).ok).toBe(false);
  });
});
