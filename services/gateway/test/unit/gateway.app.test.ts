import { Writable } from 'node:stream';
import request from 'supertest';
import { AlertSeverity, MeetingStatus, type Meeting } from '@confide/contracts';
import {
  createLogger,
  deadlineExceeded,
  DevIssuer,
  invalidArgument,
  OidcVerifier,
  permissionDenied,
  PolicyEvaluator,
  unavailable,
} from '@confide/platform';
import { createGatewayApp, type GatewayAppDeps } from '../../src/adapters/http/gateway.app';
import { FakeLifecycle, FakeStorage } from '../support/fakes';

let issuer: DevIssuer;
let verifier: OidcVerifier;
let evaluator: PolicyEvaluator;
/** Admin of TENANT with MFA: allowed every route. */
let auth: { Authorization: string };

beforeAll(async () => {
  issuer = await DevIssuer.start();
  verifier = new OidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl });
  evaluator = await PolicyEvaluator.load({ logger: createLogger({ service: 'test', level: 'silent' }), watch: false });
  auth = { Authorization: `Bearer ${await issuer.mint({ sub: 'u-admin', tenant: TENANT, roles: ['admin'], mfa: true })}` };
});
afterAll(async () => {
  evaluator.close();
  await issuer.stop();
});

const TENANT = 'tenant-a';
const T0 = Date.UTC(2025, 0, 2, 3, 0, 0);

const meeting = (meetingId: string, tenantId = TENANT): Meeting => ({
  meetingId,
  tenantId,
  title: 'Weekly sync',
  participants: [{ id: 'alice', speakerLabel: 'Alice' }],
  status: MeetingStatus.MEETING_STATUS_TRANSCRIBED,
  startedAtUnixMs: T0,
  endedAtUnixMs: T0 + 60_000,
  segmentCount: 1,
});

function setup(extra: Partial<GatewayAppDeps> = {}) {
  const storage = new FakeStorage()
    .add({
      meeting: meeting('m1'),
      segments: [
        {
          segmentId: 'm1:alice:1',
          meetingId: 'm1',
          tenantId: TENANT,
          trackId: 'alice',
          speakerLabel: 'Alice',
          text: 'we agreed on the pricing',
          startMs: 100,
          endMs: 1900,
          isFinal: true,
          confidence: 0.93,
          sequence: 1,
        },
      ],
      alerts: [
        {
          alertId: 'm1:alice:1:phrase.pricing-commitment',
          meetingId: 'm1',
          tenantId: TENANT,
          ruleId: 'phrase.pricing-commitment',
          severity: AlertSeverity.ALERT_SEVERITY_WARNING,
          message: 'A pricing commitment was made',
          segmentId: 'm1:alice:1',
          speakerLabel: 'Alice',
          startMs: 100,
        },
      ],
      report: {
        meetingId: 'm1',
        tenantId: TENANT,
        summary: 'Pricing was agreed.',
        actionItems: [{ text: 'Send the offer', owner: 'Alice', segmentId: 'm1:alice:1' }],
        decisions: [{ text: 'Go with plan B', segmentId: 'm1:alice:1' }],
        engine: 'extractive-v1',
        generatedAtUnixMs: T0 + 120_000,
      },
    })
    .add({ meeting: meeting('m2'), segments: [], alerts: [] })
    .add({ meeting: meeting('other-tenant-meeting', 'tenant-b'), segments: [], alerts: [] });
  const lifecycle = new FakeLifecycle();
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ service: 'gateway-test', destination });
  let n = 0;
  const app = createGatewayApp({
    storage,
    lifecycle,
    logger,
    jsonBodyLimit: 256,
    newRequestId: () => `req-${++n}`,
    authenticator: verifier,
    evaluator,
    ...extra,
  });
  return { app, storage, lifecycle, logLines };
}

const errorBody = (code: string, message: string | jest.AsymmetricMatcher, requestId: string | jest.AsymmetricMatcher = expect.any(String)) => ({
  error: { code, message, requestId },
});

describe('gateway: probes', () => {
  it('GET /healthz answers 200 {status: ok} without a tenant header', async () => {
    const { app } = setup();
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 when both peers serve and 503 naming the one that does not', async () => {
    const { app, lifecycle } = setup();
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { storage: 'serving', lifecycle: 'serving' } });
    lifecycle.isReady = false;
    const notReady = await request(app).get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toEqual({ status: 'not_ready', checks: { storage: 'serving', lifecycle: 'not_serving' } });
  });
});

describe('gateway: no unauthenticated mode', () => {
  it('answers 401 to a request that only names a tenant, and calls no peer', async () => {
    const { app, storage, lifecycle } = setup();
    const res = await request(app).get('/api/meetings/m1').set('X-Confide-Tenant', TENANT);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="confide"');
    expect(res.body).toEqual(errorBody('unauthenticated', 'a bearer token is required', 'req-1'));
    expect((await request(app).delete('/api/meetings/m1').set('X-Confide-Tenant', TENANT)).status).toBe(401);
    expect(storage.calls).toHaveLength(0);
    expect(lifecycle.deletions).toHaveLength(0);
  });

  it('refuses to build an app without an authenticator or a policy', () => {
    const incomplete = { authenticator: undefined, evaluator: undefined } as unknown as Partial<GatewayAppDeps>;
    expect(() => setup(incomplete)).toThrow('createGatewayApp needs an authenticator and an evaluator');
    expect(() => setup({ evaluator: undefined } as unknown as Partial<GatewayAppDeps>)).toThrow(/authenticator and an evaluator/);
  });

  it('records the erasure as requested by the token\'s subject', async () => {
    const { app, lifecycle } = setup();
    expect((await request(app).delete('/api/meetings/m1').set(auth)).status).toBe(200);
    expect(lifecycle.deletions[0]?.command).toMatchObject({ tenantId: TENANT, meetingId: 'm1', requestedBy: 'u-admin' });
  });
});

describe('gateway: request ids', () => {
  it('echoes a plain X-Request-Id and passes it downstream', async () => {
    const { app, storage } = setup();
    const res = await request(app).get('/api/meetings/m1').set(auth).set('X-Request-Id', 'abc-123');
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(storage.calls[0]?.ctx.requestId).toBe('abc-123');
  });

  it('replaces an unusable X-Request-Id with a generated one', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/meetings/nope').set(auth).set('X-Request-Id', 'x'.repeat(300));
    expect(res.headers['x-request-id']).toBe('req-1');
    expect(res.body.error.requestId).toBe('req-1');
  });
});

describe('gateway: /api/meetings', () => {
  it('lists the tenant\'s meetings only, mapped to camelCase JSON', async () => {
    const { app, storage } = setup();
    const res = await request(app).get('/api/meetings?pageSize=10').set(auth);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.nextPageToken).toBeNull();
    expect(res.body.meetings.map((m: { meetingId: string }) => m.meetingId)).toEqual(['m1', 'm2']);
    expect(storage.calls[0]).toMatchObject({ method: 'listMeetings', tenantId: TENANT, pageSize: 10, pageToken: '' });
  });

  it('rejects an out-of-range pageSize with 400', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/meetings?pageSize=1000').set(auth);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody('invalid_argument', 'pageSize must be an integer from 1 to 100'));
  });

  it('gets one meeting with explicitly mapped fields', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/meetings/m1').set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      meetingId: 'm1',
      title: 'Weekly sync',
      status: 'transcribed',
      participants: [{ id: 'alice', speakerLabel: 'Alice' }],
      startedAt: '2025-01-02T03:00:00.000Z',
      endedAt: '2025-01-02T03:01:00.000Z',
      segmentCount: 1,
    });
  });

  it('maps not-found to 404 in the error shape', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/meetings/missing').set(auth);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(errorBody('not_found', 'meeting missing not found', 'req-1'));
  });

  it('does not show another tenant\'s meeting (404, storage asked with the caller\'s tenant)', async () => {
    const { app, storage } = setup();
    const res = await request(app).get('/api/meetings/other-tenant-meeting').set(auth);
    expect(res.status).toBe(404);
    expect(storage.calls[0]).toMatchObject({ tenantId: TENANT, meetingId: 'other-tenant-meeting' });
  });

  it('rejects a malformed meeting id with 400 before calling storage', async () => {
    const { app, storage } = setup();
    const res = await request(app).get('/api/meetings/a%20b').set(auth);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorBody('invalid_argument', 'the meeting id must be 1-128 characters of [A-Za-z0-9._:-]'));
    expect(storage.calls).toHaveLength(0);
  });

  it('returns the transcript as {segmentId, speaker, text, startMs, endMs}', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/meetings/m1/transcript').set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      meetingId: 'm1',
      segments: [{ segmentId: 'm1:alice:1', speaker: 'Alice', text: 'we agreed on the pricing', startMs: 100, endMs: 1900 }],
    });
  });

  it('returns the alerts with severities as words', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/meetings/m1/alerts').set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      meetingId: 'm1',
      alerts: [
        {
          alertId: 'm1:alice:1:phrase.pricing-commitment',
          ruleId: 'phrase.pricing-commitment',
          severity: 'warning',
          message: 'A pricing commitment was made',
          segmentId: 'm1:alice:1',
          speaker: 'Alice',
          startMs: 100,
        },
      ],
    });
  });

  it('returns the report, and 404 when there is none yet', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/meetings/m1/report').set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      meetingId: 'm1',
      summary: 'Pricing was agreed.',
      actionItems: [{ text: 'Send the offer', owner: 'Alice', segmentId: 'm1:alice:1' }],
      decisions: [{ text: 'Go with plan B', segmentId: 'm1:alice:1' }],
      engine: 'extractive-v1',
      generatedAt: '2025-01-02T03:02:00.000Z',
    });
    const none = await request(app).get('/api/meetings/m2/report').set(auth);
    expect(none.status).toBe(404);
    expect(none.body).toEqual(errorBody('not_found', 'report of meeting m2 not found'));
  });

  it('DELETE erases through lifecycle with the caller\'s tenant, id and reason', async () => {
    const { app, lifecycle } = setup();
    const res = await request(app).delete('/api/meetings/m1').set(auth).send({ reason: 'customer request' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      meetingId: 'm1',
      erased: { meetings: 1, segments: 12, alerts: 2, reports: 1 },
      erasedAt: '2025-01-02T03:04:05.000Z',
    });
    expect(lifecycle.deletions[0]?.command).toEqual({
      tenantId: TENANT,
      meetingId: 'm1',
      requestedBy: 'u-admin',
      reason: 'customer request',
    });
  });

  it('DELETE without a body uses an empty reason', async () => {
    const { app, lifecycle } = setup();
    const res = await request(app).delete('/api/meetings/m1').set(auth);
    expect(res.status).toBe(200);
    expect(lifecycle.deletions[0]?.command.reason).toBe('');
  });

  it('rejects a body over the limit with 413, invalid JSON with 400 and unknown fields with 400', async () => {
    const { app, lifecycle } = setup();
    const big = await request(app).delete('/api/meetings/m1').set(auth).send({ reason: 'x'.repeat(1000) });
    expect(big.status).toBe(413);
    expect(big.body).toEqual(errorBody('payload_too_large', 'the request body is too large'));
    const broken = await request(app).delete('/api/meetings/m1').set(auth).set('Content-Type', 'application/json').send('{"reason":');
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual(errorBody('invalid_json', 'the request body is not valid JSON'));
    const extra = await request(app).delete('/api/meetings/m1').set(auth).send({ reason: 'r', force: true });
    expect(extra.status).toBe(400);
    expect(extra.body).toEqual(errorBody('invalid_argument', 'the request body may only contain "reason"'));
    expect(lifecycle.deletions).toHaveLength(0);
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/nothing-here').set(auth);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(errorBody('not_found', 'no such route'));
  });
});

describe('gateway: error mapping', () => {
  it.each([
    ['invalid-argument', 400, invalidArgument('page token is not valid'), 'invalid_argument', 'page token is not valid'],
    ['permission-denied', 403, permissionDenied('not allowed'), 'permission_denied', 'not allowed'],
    ['unavailable', 503, unavailable('connect ECONNREFUSED 10.1.2.3:50055'), 'unavailable', 'a service the gateway depends on is unavailable; retry later'],
    ['deadline-exceeded', 504, deadlineExceeded('deadline exceeded after 5000ms at storage-0'), 'deadline_exceeded', 'a service the gateway depends on did not answer in time'],
  ])('maps %s to %i', async (_kind, status, error, code, message) => {
    const { app, storage } = setup();
    storage.failWith = error;
    const res = await request(app).get('/api/meetings/m1').set(auth);
    expect(res.status).toBe(status);
    expect(res.body).toEqual(errorBody(code, message));
  });

  it('answers 500 without internals for an unknown error', async () => {
    const { app, lifecycle } = setup();
    lifecycle.failWith = new TypeError('cannot read db password=hunter2 at /srv/app/storage.js:42');
    const res = await request(app).delete('/api/meetings/m1').set(auth);
    expect(res.status).toBe(500);
    expect(res.body).toEqual(errorBody('internal', 'internal error', 'req-1'));
    expect(res.text).not.toMatch(/hunter2|storage\.js|TypeError/);
  });

  it('logs requests without transcript text or speaker labels', async () => {
    const { app, logLines } = setup();
    await request(app).get('/api/meetings/m1/transcript').set(auth);
    const logs = logLines.join('\n');
    expect(logs).toContain('request completed');
    expect(logs).not.toContain('we agreed on the pricing');
    expect(logs).not.toContain('Alice');
  });
});
