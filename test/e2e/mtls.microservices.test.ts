import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { streamMeetingAudio } from '@confide/cli';
import { clientCredentials, loadTlsSettings } from '@confide/platform';
import { synthesize } from '@confide/testing';
import { pollUntil, requireInfrastructure, startMicroservices, waitHealthy, type RunningMicroservices } from './support/microservices';

/**
 * Encrypted in transit (ARCHITECTURE.md promise 1, docs/adr/0008-tls.md): the six services as
 * separate processes, each serving TLS 1.3 only with mutual TLS between them (a development CA
 * and per-service certificates from scripts/certs/dev.sh), the gateway serving HTTPS. A meeting
 * goes through end to end; plaintext, certificate-less and TLS 1.2 clients are refused.
 */
/** gRPC status UNAVAILABLE (a refused or failed TLS handshake). */
const UNAVAILABLE = 14;

describe('microservices with mutual TLS', () => {
  let services: RunningMicroservices | undefined;

  beforeAll(async () => {
    services = await startMicroservices({ infraEnv: await requireInfrastructure(), tls: true });
  }, 180_000);

  afterAll(async () => {
    await services?.stop();
  }, 60_000);

  const file = (name: string): Buffer => readFileSync(path.join(services!.certsDir!, name));

  function httpsGet(url: string, headers: Record<string, string>, tls: https.RequestOptions = {}): Promise<{ status: number; body: string; protocol: string | null }> {
    return new Promise((resolve, reject) => {
      const req = https.get(url, { ca: file('ca.crt'), headers, ...tls }, (res) => {
        const protocol = (res.socket as TLSSocket).getProtocol();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), protocol }));
      });
      req.on('error', reject);
    });
  }

  it('carries a meeting end to end over TLS 1.3 and refuses plaintext, certificate-less and TLS 1.2 peers', async () => {
    const running = services as RunningMicroservices;
    expect(running.httpBaseUrl.startsWith('https://')).toBe(true);
    const tenantId = `tenant-mtls-${randomUUID().slice(0, 8)}`;
    const meetingId = `m-${randomUUID()}`;
    const pcm = await synthesize('please send the quarterly budget report to the finance team by friday', 'slt');

    // A meeting bot with its own certificate of the CA (ingest requires a client certificate).
    const result = await streamMeetingAudio({
      address: running.ingestAddress,
      token: await running.mintToken({ tenant: tenantId, roles: ['member'], mfa: false }),
      credentials: clientCredentials(
        loadTlsSettings({
          TLS_CA_FILE: path.join(running.certsDir!, 'ca.crt'),
          TLS_CERT_FILE: path.join(running.certsDir!, 'meeting-bot.crt'),
          TLS_KEY_FILE: path.join(running.certsDir!, 'meeting-bot.key'),
        })!,
      ),
      tenantId,
      meetingId,
      title: 'mtls',
      participants: [{ id: 'alice', speakerLabel: 'Alice' }],
      tracks: new Map([['alice', pcm]]),
      realtime: false,
    });
    expect(result.completed?.finalSegmentCount).toBeGreaterThan(0);

    const headers = { authorization: `Bearer ${await running.mintToken({ tenant: tenantId })}` };
    const read = await pollUntil('the transcript over HTTPS', 60_000, async () => {
      const res = await httpsGet(`${running.httpBaseUrl}/api/meetings/${meetingId}/transcript`, headers);
      if (res.status !== 200) return undefined;
      const body = JSON.parse(res.body) as { segments: unknown[] };
      return body.segments.length >= result.finals.length ? res : undefined;
    });
    expect(read.protocol).toBe('TLSv1.3');

    // The gateway refuses a TLS 1.2 client.
    await expect(httpsGet(`${running.httpBaseUrl}/healthz`, {}, { maxVersion: 'TLSv1.2' })).rejects.toThrow();

    // Storage (every gRPC listener) refuses plaintext and a TLS client without a certificate, and
    // answers one with a certificate of the CA.
    const storage = running.grpcAddress('storage');
    const certs = running.certsDir!;
    const caOnly = { HEALTH_TLS_CA_FILE: path.join(certs, 'ca.crt') };
    const withCertificate = { ...caOnly, HEALTH_TLS_CERT_FILE: path.join(certs, 'meeting-bot.crt'), HEALTH_TLS_KEY_FILE: path.join(certs, 'meeting-bot.key') };
    expect(await waitHealthy('grpc', storage, 0)).toEqual({ ok: false, status: `grpc error ${UNAVAILABLE}` });
    expect(await waitHealthy('grpc', storage, 0, caOnly)).toEqual({ ok: false, status: `grpc error ${UNAVAILABLE}` });
    expect(await waitHealthy('grpc', storage, 0, withCertificate)).toEqual({ ok: true, status: 'SERVING' });
  }, 180_000);
});
