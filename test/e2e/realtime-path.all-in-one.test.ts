import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { StorageServiceClient, type GetTranscriptRequest, type GetTranscriptResponse } from '@confide/contracts';
import { startAllInOne, streamMeetingAudio, type RunningPlatform } from '@confide/cli';
import { callUnary, createGrpcClient, generateServiceTrust, grpcStatusToAppError, isServiceError, subjectAssertionMetadata } from '@confide/platform';
import { synthesize, wordErrorRate } from '@confide/testing';

/**
 * End to end through the all-in-one platform: real gRPC and HTTP listeners, the real
 * pocketsphinx recognizer, a real embedded PostgreSQL, and real identity: bearer tokens from
 * the platform's development OIDC issuer, verified by the gateway over its JWKS, the policy
 * per route, and storage/lifecycle authorizing each RPC by the gateway's signed subject
 * assertion.
 */
describe('real-time path, all-in-one', () => {
  let platform: RunningPlatform;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'confide-e2e-'));
    platform = await startAllInOne({
      GRPC_ADDR: '127.0.0.1:0',
      GATEWAY_HTTP_ADDR: '127.0.0.1:0',
      STATE_DIR: stateDir,
      LOG_LEVEL: 'silent',
    });
  });

  afterAll(async () => {
    await platform?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('streams an utterance, relays partials before the final, serves and erases the transcript', async () => {
    const script = 'please send the quarterly budget report to the finance team by friday';
    const pcm = await synthesize(script, 'slt');
    const tenantId = 'tenant-e2e';
    const meetingId = `m-${randomUUID()}`;

    const result = await streamMeetingAudio({
      address: platform.grpcAddress,
      token: await platform.mintToken({ tenant: tenantId, user: 'member-e2e', roles: ['member'] }),
      tenantId,
      meetingId,
      title: 'e2e',
      participants: [{ id: 'alice', speakerLabel: 'Alice' }],
      tracks: new Map([['alice', pcm]]),
      realtime: false,
    });

    expect(result.partialsBeforeFinal).toBeGreaterThan(0);
    expect(result.finals.length).toBeGreaterThan(0);
    expect(result.finals.every((s) => s.speakerLabel === 'Alice' && s.meetingId === meetingId)).toBe(true);
    const streamed = result.finals.map((s) => s.text).join(' ');
    expect(wordErrorRate(script, streamed)).toBeLessThanOrEqual(0.35);
    expect(result.report?.meetingId).toBe(meetingId);
    expect(result.completed?.finalSegmentCount).toBe(result.finals.length);

    const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
    // An admin of the tenant who signed in with a second factor: may read and erase.
    const headers = bearer(await platform.mintToken({ tenant: tenantId, user: 'admin-e2e', roles: ['admin'], mfa: true }));
    const base = `${platform.httpBaseUrl}/api/meetings/${meetingId}`;
    // The admin sees what processes the tenant's meetings (transcription's and insights' own gRPC services).
    const processing = await fetch(`${platform.httpBaseUrl}/api/tenant/processing`, { headers });
    expect(processing.status).toBe(200);
    expect(((await processing.json()) as { transcription: { destination: string } }).transcription.destination).toBe('local');
    // Storage consumes the transcript topic on its own: poll until every final is stored.
    const deadline = Date.now() + 30_000;
    let stored: { segments: Array<{ text: string; speaker: string }> } = { segments: [] };
    while (Date.now() < deadline) {
      const res = await fetch(`${base}/transcript`, { headers });
      if (res.status === 200) {
        stored = (await res.json()) as typeof stored;
        if (stored.segments.length === result.finals.length) break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(stored.segments.map((s) => s.text)).toEqual(
      [...result.finals].sort((a, b) => a.startMs - b.startMs).map((s) => s.text),
    );

    // Storage itself refuses a caller without the gateway's signed assertion, or with one
    // signed by a key it does not trust, whatever the request names.
    const storage = createGrpcClient(StorageServiceClient, platform.grpcAddress);
    try {
      const refusal = (assertion?: string) =>
        callUnary<GetTranscriptRequest, GetTranscriptResponse>(storage, 'getTranscript', { tenantId, meetingId }, assertion ? { metadata: subjectAssertionMetadata(assertion) } : {}).then(
          () => 'served',
          (err: unknown) => (isServiceError(err) ? grpcStatusToAppError(err).kind : 'other'),
        );
      expect(await refusal()).toBe('unauthenticated');
      const impostor = (await generateServiceTrust(['gateway'])).signer('gateway');
      expect(await refusal(await impostor.sign({ id: 'admin-e2e', tenant: tenantId, roles: ['admin'], kind: 'user', mfa: true }))).toBe('unauthenticated');
    } finally {
      storage.close();
    }

    // No token, a forged header, another tenant's admin: nothing.
    const anonymous = await fetch(`${base}/transcript`, { headers: { 'X-Confide-Tenant': tenantId } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="confide"');
    const otherAdmin = bearer(await platform.mintToken({ tenant: 'tenant-other', user: 'admin-other', roles: ['admin'], mfa: true }));
    const other = await fetch(`${base}/transcript`, { headers: { ...otherAdmin, 'X-Confide-Tenant': tenantId } });
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain(stored.segments[0]?.text ?? 'unreachable');

    // Erasure needs MFA: the same admin without a second factor is refused, revealing nothing.
    const noMfa = bearer(await platform.mintToken({ tenant: tenantId, user: 'admin-e2e', roles: ['admin'], mfa: false }));
    const refused = await fetch(base, { method: 'DELETE', headers: noMfa });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'forbidden',
      message: 'the request is not permitted',
    });
    // A member may not read another member's meeting (storage knows no owner yet: refused).
    const member = bearer(await platform.mintToken({ tenant: tenantId, user: 'member-e2e', roles: ['member'], mfa: true }));
    expect((await fetch(`${base}/transcript`, { headers: member })).status).toBe(403);

    // Support staff: nothing without a grant; with an approved, time-limited grant of this
    // tenant they read (the gateway and storage both check it), but never erase.
    const staff = { ...bearer(await platform.mintToken({ tenant: '', user: 'staff-e2e', staff: true, mfa: true })), 'X-Confide-Tenant': tenantId };
    expect((await fetch(`${base}/transcript`, { headers: staff })).status).toBe(403);
    // The grant goes through lifecycle (PostgreSQL): staff request it with a reason, the
    // tenant's admin (MFA) approves it.
    const requested = await fetch(`${platform.httpBaseUrl}/api/access-grants`, {
      method: 'POST',
      headers: { ...staff, 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'ticket e2e', scope: 'meeting', meetingId }),
    });
    expect(requested.status).toBe(201);
    const { grantId } = (await requested.json()) as { grantId: string };
    const approved = await fetch(`${platform.httpBaseUrl}/api/access-grants/${grantId}/approve`, { method: 'POST', headers });
    expect(approved.status).toBe(200);
    const staffRead = await fetch(`${base}/transcript`, { headers: staff });
    expect(staffRead.status).toBe(200);
    expect(((await staffRead.json()) as typeof stored).segments.length).toBe(stored.segments.length);
    expect((await fetch(base, { method: 'DELETE', headers: staff })).status).toBe(403);

    // Tenant-key rotation through the API (storage's KeyRegistryService, ADR 0010): owners and
    // admins with MFA only; the data keys are rewrapped in the background and the transcript
    // stays readable throughout.
    const keysUrl = `${platform.httpBaseUrl}/api/tenant/keys`;
    expect((await fetch(`${keysUrl}/rotate`, { method: 'POST', headers: noMfa })).status).toBe(403);
    expect((await fetch(`${keysUrl}/rotate`, { method: 'POST', headers: member })).status).toBe(403);
    expect((await fetch(keysUrl, { headers: member })).status).toBe(403);
    const rotated = await fetch(`${keysUrl}/rotate`, { method: 'POST', headers });
    expect(rotated.status).toBe(202);
    expect(await rotated.json()).toEqual({ rotated: true, rewrapStarted: true });
    let keyStatus: { versions: Array<{ version: number; dataKeys: number }>; rewrapRunning: boolean } = { versions: [], rewrapRunning: true };
    const rewrapBy = Date.now() + 20_000;
    do {
      const res = await fetch(keysUrl, { headers: noMfa }); // settings:read needs no second factor
      expect(res.status).toBe(200);
      keyStatus = (await res.json()) as typeof keyStatus;
    } while ((keyStatus.rewrapRunning || keyStatus.versions.some((v) => v.version < 2)) && Date.now() < rewrapBy);
    expect(keyStatus.rewrapRunning).toBe(false);
    expect(keyStatus.versions.map((v) => v.version)).toEqual([2]);
    expect(keyStatus.versions[0]!.dataKeys).toBeGreaterThan(0);
    const afterRotation = await fetch(`${base}/transcript`, { headers });
    expect(afterRotation.status).toBe(200);
    expect(((await afterRotation.json()) as typeof stored).segments.map((s) => s.text)).toEqual(stored.segments.map((s) => s.text));

    const del = await fetch(base, { method: 'DELETE', headers });
    expect(del.status).toBe(200);
    // The erasure's signed deletion certificate comes with the answer.
    expect(((await del.json()) as { certificateId: string | null }).certificateId).toEqual(expect.any(String));
    const gone = await fetch(`${base}/transcript`, { headers });
    expect(gone.status).toBe(404);
    const body = (await gone.json()) as { error: { code: string } };
    expect(body.error.code).toBe('not_found');
  });
});
