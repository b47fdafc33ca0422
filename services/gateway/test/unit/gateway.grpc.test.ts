/**
 * The gateway's gRPC adapters against a real gRPC server (127.0.0.1, ephemeral port)
 * serving a FakeStorageService, and a lifecycle address where nothing listens.
 */
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import request from 'supertest';
import { MeetingStatus, StorageServiceService, type StorageServiceServer } from '@confide/contracts';
import {
  DevIssuer,
  GrpcServer,
  OidcVerifier,
  PolicyEvaluator,
  SUBJECT_ASSERTION_METADATA,
  createLogger,
  generateServiceTrust,
  serviceError,
  type Logger,
  type ServiceTrust,
} from '@confide/platform';
import { GrpcLifecycleClient } from '../../src/adapters/grpc/lifecycle.grpc-client';
import { GrpcStorageClient, STORAGE_SERVICE_NAME } from '../../src/adapters/grpc/storage.grpc-client';
import { createGatewayApp } from '../../src/adapters/http/gateway.app';

jest.setTimeout(30_000);

const TENANT = 'tenant-a';

/** StorageService: m1 exists; "broken" fails INTERNAL with revealing details; "slow" never answers. */
function fakeStorageService(seen: { metadata: grpc.Metadata[] }): StorageServiceServer {
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) => callback(serviceError(grpc.status.UNIMPLEMENTED, 'not in this fake'));
  return {
    getMeeting: (call, callback) => {
      seen.metadata.push(call.metadata);
      const { tenantId, meetingId } = call.request;
      if (meetingId === 'slow') return; // never answers: the caller's deadline must end it
      if (meetingId === 'broken') {
        callback(serviceError(grpc.status.INTERNAL, 'pg: relation "segments" does not exist at 10.0.0.7'));
        return;
      }
      if (tenantId !== TENANT || meetingId !== 'm1') {
        callback(serviceError(grpc.status.NOT_FOUND, `meeting ${meetingId} not found`));
        return;
      }
      callback(null, {
        meeting: {
          meetingId,
          tenantId,
          title: 'Weekly sync',
          participants: [],
          status: MeetingStatus.MEETING_STATUS_ACTIVE,
          startedAtUnixMs: 0,
          endedAtUnixMs: 0,
          segmentCount: 0,
        },
      });
    },
    listMeetings: unimplemented,
    getTranscript: unimplemented,
    listAlerts: unimplemented,
    getReport: unimplemented,
    purgeMeeting: unimplemented,
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('gateway over real gRPC clients', () => {
  let logger: Logger;
  let server: GrpcServer;
  let storage: GrpcStorageClient;
  let lifecycle: GrpcLifecycleClient;
  let issuer: DevIssuer;
  let evaluator: PolicyEvaluator;
  let trust: ServiceTrust;
  let auth: { Authorization: string };
  const seen = { metadata: [] as grpc.Metadata[] };

  beforeAll(async () => {
    logger = createLogger({ service: 'gateway-test', level: 'silent' });
    issuer = await DevIssuer.start();
    evaluator = await PolicyEvaluator.load({ logger, watch: false });
    trust = await generateServiceTrust(['gateway']);
    auth = { Authorization: `Bearer ${await issuer.mint({ sub: 'u-admin', tenant: TENANT, roles: ['admin'], mfa: true })}` };
    server = new GrpcServer({ address: '127.0.0.1:0', logger, reflection: false, allowUncheckedHandlers: true }); // a fake storage
    server.add({ name: STORAGE_SERVICE_NAME, definition: StorageServiceService, implementation: fakeStorageService(seen) });
    const { port } = await server.start();
    storage = new GrpcStorageClient(`127.0.0.1:${port}`, { deadlineMs: 300 });
    lifecycle = new GrpcLifecycleClient(`127.0.0.1:${await closedPort()}`, { deadlineMs: 300, healthDeadlineMs: 300 });
  });

  afterAll(async () => {
    storage.close();
    lifecycle.close();
    await server.shutdown({ graceMs: 0 });
    evaluator.close();
    await issuer.stop();
  });

  const app = () =>
    createGatewayApp({
      storage,
      lifecycle,
      logger,
      authenticator: new OidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl }),
      evaluator,
      assertionSigner: trust.signer('gateway'),
    });

  it('maps a meeting from the peer and passes the request id and the signed subject assertion as metadata', async () => {
    const res = await request(app()).get('/api/meetings/m1').set(auth).set('X-Request-Id', 'rid-7');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ meetingId: 'm1', status: 'active', startedAt: null });
    const metadata = seen.metadata.at(-1);
    expect(metadata?.get('x-request-id')).toEqual(['rid-7']);
    const [assertion] = metadata?.get(SUBJECT_ASSERTION_METADATA) ?? [];
    // The peer learns who calls (the gateway) and for whom, from a signature it can check;
    // the user's own bearer token is never forwarded.
    await expect(trust.verifier.verify(String(assertion))).resolves.toMatchObject({
      caller: { kind: 'service', service: 'gateway' },
      subject: { id: 'u-admin', tenant: TENANT, roles: ['admin'], kind: 'user', mfa: true },
    });
    expect(metadata?.get('authorization')).toEqual([]);
    expect(JSON.stringify(metadata?.getMap())).not.toContain(auth.Authorization.slice('Bearer '.length));
  });

  it('maps NOT_FOUND to 404', async () => {
    const res = await request(app()).get('/api/meetings/m9').set(auth);
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'not_found', message: 'meeting m9 not found' });
  });

  it('maps INTERNAL to 500 without the peer\'s details', async () => {
    const res = await request(app()).get('/api/meetings/broken').set(auth);
    expect(res.status).toBe(500);
    expect(res.body.error).toMatchObject({ code: 'internal', message: 'internal error' });
    expect(res.text).not.toMatch(/segments|10\.0\.0\.7|pg:/);
  });

  it('ends a call that outlives its deadline with 504', async () => {
    const res = await request(app()).get('/api/meetings/slow').set(auth);
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('deadline_exceeded');
  });

  it('maps an unreachable peer to 503 without its address', async () => {
    const res = await request(app()).delete('/api/meetings/m1').set(auth);
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'unavailable', message: 'a service the gateway depends on is unavailable; retry later' });
    expect(res.text).not.toContain('127.0.0.1');
  });

  it('is ready only when both peers answer grpc.health.v1 SERVING', async () => {
    const res = await request(app()).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not_ready', checks: { storage: 'serving', lifecycle: 'not_serving' } });
  });
});
