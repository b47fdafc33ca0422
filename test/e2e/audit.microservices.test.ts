import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { streamMeetingAudio } from '@confide/cli';
import { verifyAuditExport, type PublishedSigningKeys } from '@confide/lifecycle-service';
import { DevIssuer } from '@confide/platform';
import { synthesize } from '@confide/testing';
import { REPO_ROOT, freePort, pollUntil, requireInfrastructure, startMicroservices, waitHealthy, type RunningMicroservices } from './support/microservices';

/**
 * Promise 6 in the microservices mode (docs/adr/0014-audit-over-the-bus.md): each service its own
 * process over Kafka, PostgreSQL and OpenBao. A transcript read through the gateway is published to
 * confide.audit.v1 by the gateway and by storage, appended to the tenant's chain by lifecycle, and
 * shows in `GET /api/audit`; transcription's destruction of the audio key is chained too; the
 * exported chain verifies offline with the published keys. Then, fail closed: a gateway whose
 * broker is unreachable (its KAFKA_BROKERS names a loopback port nothing listens on) refuses the
 * same read with 503 and serves nothing of the transcript.
 */
const SCRIPT = 'the quarterly budget review starts on monday morning';

interface AuditEntry {
  seq: number;
  actor: string;
  action: string;
  resource: string;
  decision: string;
  outcome: string | null;
  obligations: string[];
}


describe('audit over confide.audit.v1 into the tenant chain (microservices)', () => {
  let infraEnv: Record<string, string>;
  let services: RunningMicroservices | undefined;
  let strayGateway: ChildProcess | undefined;
  let strayIssuer: DevIssuer | undefined;
  const tenantId = `tenant-audit-${randomUUID().slice(0, 8)}`;
  const meetingId = `m-${randomUUID()}`;
  let storedText = '';

  beforeAll(async () => {
    infraEnv = await requireInfrastructure();
    // Short checkpoint interval: the export ends with a signed checkpoint soon after the reads.
    services = await startMicroservices({ infraEnv, env: { AUDIT_CHECKPOINT_INTERVAL_MS: '1000' } });
  }, 180_000);

  afterAll(async () => {
    if (strayGateway && strayGateway.exitCode === null) {
      const gone = new Promise((r) => strayGateway!.once('exit', r));
      strayGateway.kill('SIGTERM');
      await gone;
    }
    await strayIssuer?.stop();
    await services?.stop();
  }, 90_000);

  it('chains the gateway\'s and storage\'s decisions on a transcript read and the audio-key destruction; the export verifies', async () => {
    const running = services as RunningMicroservices;
    const stream = {
      address: running.ingestAddress,
      tenantId,
      meetingId,
      title: 'audit e2e',
      participants: [{ id: 'alice', speakerLabel: 'Alice' }],
      tracks: new Map([['alice', await synthesize(SCRIPT, 'slt')]]),
      realtime: false,
      // The meeting bot's bearer token, for an ingest that authorizes streams (meeting:stream).
      token: await running.mintToken({ tenant: tenantId, roles: ['member'], mfa: false }),
    };
    const result = await streamMeetingAudio(stream).catch((err: unknown) => {
      throw new Error(`the stream failed (${String(err)});\ningest log:\n${running.logTail('ingest')}`);
    });
    expect(result.completed?.finalSegmentCount).toBeGreaterThan(0);

    const admin = { authorization: `Bearer ${await running.mintToken({ tenant: tenantId, roles: ['admin'], sub: 'admin-audit-e2e' })}` };
    const auditor = { authorization: `Bearer ${await running.mintToken({ tenant: tenantId, roles: ['auditor'], sub: 'auditor-audit-e2e', mfa: true })}` };
    storedText = await pollUntil('the transcript through the API', 60_000, async () => {
      const res = await fetch(`${running.httpBaseUrl}/api/meetings/${meetingId}/transcript`, { headers: admin });
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as { segments: Array<{ text: string }> };
      return body.segments.length >= result.finals.length ? body.segments.map((s) => s.text).join(' ') : undefined;
    });
    expect(storedText.length).toBeGreaterThan(0);

    // GET /api/audit: the read by the gateway and again by storage (each hop that decides records),
    // and transcription's key:destroy of the audio key, all in the tenant's chain, in seq order.
    const entries = await pollUntil('the read and the audio-key destruction in GET /api/audit', 60_000, async () => {
      const page: AuditEntry[] = [];
      for (let after: number | null = 0; after !== null; ) {
        const res = await fetch(`${running.httpBaseUrl}/api/audit?pageSize=100&after=${after}`, { headers: auditor });
        if (res.status !== 200) throw new Error(`GET /api/audit answered ${res.status}: ${await res.text()}\n${running.logTail('lifecycle')}`);
        const body = (await res.json()) as { entries: AuditEntry[]; nextAfter: number | null };
        page.push(...body.entries);
        after = body.nextAfter;
      }
      const reads = page.filter((e) => e.action === 'transcript:read' && e.resource === `meeting/${meetingId}` && e.actor === 'admin-audit-e2e');
      const destroyed = page.some((e) => e.action === 'key:destroy' && e.resource === `meeting/${meetingId}/key/audio` && e.actor === 'service:transcription');
      return reads.length >= 2 && destroyed ? page : undefined;
    });
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_e, i) => i + 1));
    expect(entries.find((e) => e.action === 'transcript:read')).toMatchObject({ decision: 'allow', obligations: ['audit'] });
    // Ids and decisions only: nothing of the transcript.
    for (const word of storedText.split(/\s+/).filter((w) => w.length > 5)) expect(JSON.stringify(entries)).not.toContain(word);

    // The export verifies offline with the published keys, with a signed checkpoint over the reads.
    const keys = (await (await fetch(`${running.httpBaseUrl}/.well-known/confide/certificate-keys`)).json()) as PublishedSigningKeys;
    const verified = await pollUntil('a signed checkpoint over the whole export', 30_000, async () => {
      const res = await fetch(`${running.httpBaseUrl}/api/audit/export`, { headers: auditor });
      expect(res.status).toBe(200);
      const outcome = verifyAuditExport(await res.text(), keys);
      if (!outcome.ok) throw new Error(`the export does not verify: ${JSON.stringify(outcome)}`);
      // Exporting is itself audited (audit:export, appended after the export was read), so the tail
      // is never empty here; what matters is that a signature covers the entries asserted above.
      return outcome.checkpointedThroughSeq >= entries.length ? outcome : undefined;
    });
    expect(verified).toMatchObject({ ok: true });
    expect(verified.events).toBeGreaterThanOrEqual(entries.length);
  }, 300_000);

  it('fails closed: a gateway that cannot reach the broker refuses the transcript read (503) and serves nothing', async () => {
    const running = services as RunningMicroservices;
    expect(storedText.length).toBeGreaterThan(0); // the read above succeeded
    // A second gateway process next to the first, with the same identity towards storage and
    // lifecycle, whose audit producer points at a loopback port nothing listens on.
    strayIssuer = await DevIssuer.start();
    const httpAddr = `127.0.0.1:${await freePort()}`;
    const logFile = path.join(running.logDir, 'gateway-no-broker.log');
    const fd = openSync(logFile, 'a');
    strayGateway = spawn(process.execPath, [path.join(REPO_ROOT, 'services', 'gateway', 'dist', 'main.js')], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LOG_LEVEL: 'info',
        GATEWAY_HTTP_ADDR: httpAddr,
        STORAGE_GRPC_ADDR: running.grpcAddress('storage'),
        LIFECYCLE_GRPC_ADDR: running.grpcAddress('lifecycle'),
        TRANSCRIPTION_GRPC_ADDR: running.grpcAddress('transcription'),
        INSIGHTS_GRPC_ADDR: running.grpcAddress('insights'),
        OIDC_ISSUER: strayIssuer.issuer,
        OIDC_JWKS_URL: strayIssuer.jwksUrl,
        SUBJECT_ASSERTION_KEY_FILE: path.join(running.logDir, 'gateway.key.pem'),
        KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
        AUDIT_PUBLISH_TIMEOUT: '2s',
      },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const log = (): string => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '(no log)';
      }
    };
    const health = await waitHealthy('http', `http://${httpAddr}/readyz`, 60);
    if (!health.ok) throw new Error(`the broker-less gateway did not become ready: ${health.status}\n${log()}`);

    const admin = { authorization: `Bearer ${await strayIssuer.mint({ sub: 'admin-audit-e2e', tenant: tenantId, roles: ['admin'], mfa: true })}` };
    const refused = await fetch(`http://${httpAddr}/api/meetings/${meetingId}/transcript`, { headers: admin });
    const body = await refused.text();
    expect({ status: refused.status, body: JSON.parse(body) as unknown }).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    for (const word of storedText.split(/\s+/).filter((w) => w.length > 3)) expect(body).not.toContain(word);
    expect(log()).toContain('audit entry could not be published');
    // The first gateway, whose broker answers, still serves the same read.
    const served = await fetch(`${running.httpBaseUrl}/api/meetings/${meetingId}/transcript`, {
      headers: { authorization: `Bearer ${await running.mintToken({ tenant: tenantId, roles: ['admin'], sub: 'admin-audit-e2e' })}` },
    });
    expect(served.status).toBe(200);
  }, 300_000);
});
