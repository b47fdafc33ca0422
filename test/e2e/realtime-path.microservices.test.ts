import { randomUUID } from 'node:crypto';
import { streamMeetingAudio } from '@confide/cli';
import { synthesize, wordErrorRate } from '@confide/testing';
import { pollUntil, requireInfrastructure, startMicroservices, type RunningMicroservices } from './support/microservices';

/**
 * End to end in the microservices mode (docs/adr/0007-microservices-mode.md): the six
 * services as separate processes over the real Kafka and PostgreSQL of scripts/infra, the
 * real pocketsphinx recognizer. Fails with a clear message when the infrastructure is down.
 */
describe('real-time path, microservices over Kafka and PostgreSQL', () => {
  let services: RunningMicroservices | undefined;

  beforeAll(async () => {
    const infraEnv = await requireInfrastructure();
    services = await startMicroservices({ infraEnv });
  }, 180_000);

  afterAll(async () => {
    await services?.stop();
  }, 60_000);

  it('streams an utterance, relays partials before the final, serves and erases the transcript', async () => {
    const running = services as RunningMicroservices;
    const script = 'please send the quarterly budget report to the finance team by friday';
    const pcm = await synthesize(script, 'slt');
    const tenantId = `tenant-e2e-${randomUUID().slice(0, 8)}`;
    const meetingId = `m-${randomUUID()}`;

    const result = await streamMeetingAudio({
      address: running.ingestAddress,
      token: await running.mintToken({ tenant: tenantId, roles: ['member'], mfa: false }),
      tenantId,
      meetingId,
      title: 'e2e microservices',
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

    // An admin of the tenant who signed in with MFA (DELETE needs it), from the dev issuer.
    const headers = { authorization: `Bearer ${await running.mintToken({ tenant: tenantId })}` };
    const base = `${running.httpBaseUrl}/api/meetings/${meetingId}`;
    // Storage consumes the transcript topic on its own (another process): poll until every final is stored.
    const stored = await pollUntil('every final segment in storage', 60_000, async () => {
      const res = await fetch(`${base}/transcript`, { headers });
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as { segments: Array<{ segmentId: string; text: string; speaker: string }> };
      return body.segments.length >= result.finals.length ? body : undefined;
    });
    expect(stored.segments.map((s) => s.text)).toEqual([...result.finals].sort((a, b) => a.startMs - b.startMs).map((s) => s.text));
    expect(stored.segments.every((s) => s.speaker === 'Alice')).toBe(true);

    // What processes the tenant's meetings: the gateway asks transcription and insights (each
    // authorizes the gateway and the admin again); a member is refused at the gateway.
    const processing = await fetch(`${running.httpBaseUrl}/api/tenant/processing`, { headers });
    expect(processing.status).toBe(200);
    const described = (await processing.json()) as { transcription: { engine: string; destination: string }; insights: { alertRules: Array<{ ruleId: string }> } };
    expect(described.transcription).toMatchObject({ engine: 'pocketsphinx', destination: 'local' });
    expect(described.insights.alertRules.length).toBeGreaterThan(0);
    const memberHeaders = { authorization: `Bearer ${await running.mintToken({ tenant: tenantId, roles: ['member'] })}` };
    expect((await fetch(`${running.httpBaseUrl}/api/tenant/processing`, { headers: memberHeaders })).status).toBe(403);

    // Another tenant cannot see it.
    const other = await fetch(`${base}/transcript`, { headers: { authorization: `Bearer ${await running.mintToken({ tenant: 'tenant-other' })}` } });
    expect(other.status).toBe(404);

    // Support staff (ADR 0009): the gateway and storage read lifecycle's grants over gRPC
    // (AccessGrantService.ListActiveGrantsForPolicy, cached 5 s). Nothing without a grant; with
    // an approved grant of this meeting they read through both checks; never erase; a revoked
    // grant stops working within the cache's lifetime.
    const staff = { authorization: `Bearer ${await running.mintToken({ tenant: '', sub: 'staff-e2e', staff: true, mfa: true })}`, 'x-confide-tenant': tenantId };
    expect((await fetch(`${base}/transcript`, { headers: staff })).status).toBe(403);
    const requested = await fetch(`${running.httpBaseUrl}/api/access-grants`, {
      method: 'POST',
      headers: { ...staff, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'ticket e2e', scope: 'meeting', meetingId }),
    });
    expect(requested.status).toBe(201);
    const { grantId } = (await requested.json()) as { grantId: string };
    expect((await fetch(`${running.httpBaseUrl}/api/access-grants/${grantId}/approve`, { method: 'POST', headers })).status).toBe(200);
    const staffRead = await pollUntil('the staff read allowed by the grant', 20_000, async () => {
      const res = await fetch(`${base}/transcript`, { headers: staff });
      return res.status === 200 ? ((await res.json()) as typeof stored) : undefined;
    });
    expect(staffRead.segments.map((s) => s.text)).toEqual(stored.segments.map((s) => s.text));
    expect((await fetch(base, { method: 'DELETE', headers: staff })).status).toBe(403);
    // Another meeting of the tenant is outside a meeting-scoped grant.
    expect((await fetch(`${running.httpBaseUrl}/api/meetings/m-not-granted/transcript`, { headers: staff })).status).toBe(403);
    expect((await fetch(`${running.httpBaseUrl}/api/access-grants/${grantId}`, { method: 'DELETE', headers })).status).toBe(200);
    await pollUntil('the revoked grant refused', 20_000, async () => ((await fetch(`${base}/transcript`, { headers: staff })).status === 403 ? true : undefined));

    const del = await fetch(base, { method: 'DELETE', headers });
    expect(del.status).toBe(200);
    const gone = await fetch(`${base}/transcript`, { headers });
    expect(gone.status).toBe(404);
    const body = (await gone.json()) as { error: { code: string } };
    expect(body.error.code).toBe('not_found');
  }, 180_000);
});
