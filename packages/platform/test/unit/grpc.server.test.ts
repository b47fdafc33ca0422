import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  DescribeEngineResponse,
  TranscriptionServiceClient,
  TranscriptionServiceService,
  type DescribeEngineRequest,
} from '@confide/contracts';
import { service as healthService } from 'grpc-health-check';
import {
  AppError,
  GrpcServer,
  LoggingDecisionAuditor,
  PolicyEvaluator,
  authorizeRpc,
  callUnary,
  generateServiceTrust,
  markCallerChecked,
  refuseEveryCaller,
  subjectAssertionMetadata,
  createGrpcClient,
  createLogger,
  grpcStatusToAppError,
  notFound,
  serviceError,
  unaryHandler,
  type Logger,
  type UnaryContext,
} from '../../src';

const SERVICE = 'confide.transcription.v1.TranscriptionService';

class FakeLogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.lines.push(chunk.toString('utf8'));
    cb();
  }
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

type Behaviour = (req: DescribeEngineRequest, ctx: UnaryContext) => Promise<DescribeEngineResponse>;

describe('GrpcServer, unaryHandler and callUnary', () => {
  let sink: FakeLogSink;
  let logger: Logger;
  let server: GrpcServer;
  let client: TranscriptionServiceClient;
  let behaviour: Behaviour;
  let port: number;

  beforeEach(async () => {
    sink = new FakeLogSink();
    logger = createLogger({ service: 'test', destination: sink });
    behaviour = async () => DescribeEngineResponse.fromPartial({ engine: 'fake', language: 'en', destination: 'local' });
    server = new GrpcServer({ address: '127.0.0.1:0', logger, allowUncheckedHandlers: true }); // a test service
    server.add({
      name: SERVICE,
      definition: TranscriptionServiceService,
      implementation: { describeEngine: unaryHandler<DescribeEngineRequest, DescribeEngineResponse>(logger, (req, ctx) => behaviour(req, ctx)) },
    });
    ({ port } = await server.start());
    client = createGrpcClient(TranscriptionServiceClient, `127.0.0.1:${port}`);
  });

  afterEach(async () => {
    client.close();
    await server.shutdown({ graceMs: 200 });
  });

  it('serves a unary call through callUnary', async () => {
    const res = await callUnary<DescribeEngineRequest, DescribeEngineResponse>(client, 'describeEngine', {});
    expect(port).toBeGreaterThan(0);
    expect(res).toMatchObject({ engine: 'fake', language: 'en', destination: 'local' });
  });

  it('serves grpc.health.v1 with SERVING per service and overall, and reflects status changes', async () => {
    const HealthClient = grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health');
    const health = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const check = (name: string) => callUnary<{ service: string }, { status: string }>(health, 'check', { service: name });
      await expect(check(SERVICE)).resolves.toEqual({ status: 'SERVING' });
      await expect(check('')).resolves.toEqual({ status: 'SERVING' });
      server.setStatus(SERVICE, 'NOT_SERVING');
      await expect(check(SERVICE)).resolves.toEqual({ status: 'NOT_SERVING' });
      await expect(check('no.such.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    } finally {
      health.close();
    }
  });

  it('serves reflection listing the confide services and health', async () => {
    const reflectionProto = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');
    const def = protoLoader.loadSync(reflectionProto, { keepCase: true });
    const ReflectionClient = grpc.makeClientConstructor(
      def['grpc.reflection.v1.ServerReflection'] as grpc.ServiceDefinition,
      'ServerReflection',
    );
    const reflection = new ReflectionClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      type ListResponse = { list_services_response?: { service: Array<{ name: string }> } };
      const open = (reflection as unknown as Record<string, () => grpc.ClientDuplexStream<unknown, ListResponse>>)['ServerReflectionInfo'];
      const names = await new Promise<string[]>((resolve, reject) => {
        const info = (open as () => grpc.ClientDuplexStream<unknown, ListResponse>).call(reflection);
        info.on('data', (res: ListResponse) => {
          resolve((res.list_services_response?.service ?? []).map((s) => s.name));
          info.end();
        });
        info.on('error', reject);
        info.write({ list_services: '*' });
      });
      expect(names).toEqual(expect.arrayContaining([SERVICE, 'confide.storage.v1.StorageService', 'grpc.health.v1.Health']));
    } finally {
      reflection.close();
    }
  });

  it('maps AppErrors to their status and hides unknown errors as INTERNAL, logged once without payload', async () => {
    behaviour = async () => {
      throw notFound('meeting m-1 not found');
    };
    await expect(callUnary(client, 'describeEngine', {})).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: 'meeting m-1 not found' });

    behaviour = async () => {
      throw new TypeError('secret transcript words');
    };
    const err = await callUnary(client, 'describeEngine', {}).catch((e: unknown) => e as grpc.ServiceError);
    expect(err).toMatchObject({ code: grpc.status.INTERNAL, details: 'internal error' });
    await waitFor('the error log line', () => sink.lines.some((l) => l.includes('unhandled error in gRPC handler')));
    const errorLines = sink.lines.filter((l) => l.includes('unhandled error in gRPC handler'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain('TypeError');
  });

  it('enforces the deadline and aborts the handler signal', async () => {
    let serverSignal: AbortSignal | undefined;
    behaviour = (_req, ctx) => {
      serverSignal = ctx.signal;
      return new Promise(() => undefined);
    };
    await expect(callUnary(client, 'describeEngine', {}, { deadlineMs: 100 })).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    await waitFor('the server-side abort', () => serverSignal?.aborted === true);
  });

  it('cancels the call when the AbortSignal aborts, and aborts the server signal', async () => {
    let serverSignal: AbortSignal | undefined;
    behaviour = (_req, ctx) => {
      serverSignal = ctx.signal;
      return new Promise(() => undefined);
    };
    const controller = new AbortController();
    const pending = callUnary(client, 'describeEngine', {}, { signal: controller.signal, deadlineMs: 10_000 });
    await waitFor('the call to reach the server', () => serverSignal !== undefined);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: grpc.status.CANCELLED });
    await waitFor('the server-side abort', () => serverSignal?.aborted === true);
    await expect(callUnary(client, 'describeEngine', {}, { signal: controller.signal })).rejects.toMatchObject({ code: grpc.status.CANCELLED });
  });

  it('drains an in-flight call on graceful shutdown', async () => {
    let release: (() => void) | undefined;
    behaviour = () =>
      new Promise((resolve) => {
        release = () => resolve(DescribeEngineResponse.fromPartial({ engine: 'late' }));
      });
    const pending = callUnary<DescribeEngineRequest, DescribeEngineResponse>(client, 'describeEngine', {}, { deadlineMs: 10_000 });
    await waitFor('the call to reach the server', () => release !== undefined);
    const stopped = server.shutdown({ graceMs: 10_000 });
    release?.();
    await expect(pending).resolves.toMatchObject({ engine: 'late' });
    await expect(stopped).resolves.toBeUndefined();
  });

  it('forces shutdown after the grace period', async () => {
    let reached = false;
    behaviour = () => {
      reached = true;
      return new Promise(() => undefined);
    };
    const pending = callUnary(client, 'describeEngine', {}, { deadlineMs: 10_000 }).catch((e: unknown) => e as grpc.ServiceError);
    await waitFor('the call to reach the server', () => reached);
    await server.shutdown({ graceMs: 50 });
    const err = await pending;
    expect(err).toBeInstanceOf(Error);
    expect([grpc.status.CANCELLED, grpc.status.UNAVAILABLE, grpc.status.INTERNAL]).toContain((err as grpc.ServiceError).code);
  });
});

describe('GrpcServer binding', () => {
  it('refuses plaintext on a non-loopback host with failed-precondition naming TLS', async () => {
    const server = new GrpcServer({ address: '0.0.0.0:0', logger: createLogger({ service: 't', destination: new FakeLogSink() }) });
    const err = await server.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: 'failed-precondition' });
    expect((err as Error).message).toContain('TLS');
    await server.shutdown();
  });
});

describe('grpcStatusToAppError', () => {
  it.each([
    [grpc.status.NOT_FOUND, 'not-found'],
    [grpc.status.INVALID_ARGUMENT, 'invalid-argument'],
    [grpc.status.FAILED_PRECONDITION, 'failed-precondition'],
    [grpc.status.ALREADY_EXISTS, 'already-exists'],
    [grpc.status.PERMISSION_DENIED, 'permission-denied'],
    [grpc.status.UNAUTHENTICATED, 'unauthenticated'],
    [grpc.status.RESOURCE_EXHAUSTED, 'resource-exhausted'],
    [grpc.status.UNAVAILABLE, 'unavailable'],
    [grpc.status.DEADLINE_EXCEEDED, 'deadline-exceeded'],
    [grpc.status.CANCELLED, 'cancelled'],
    [grpc.status.INTERNAL, 'unavailable'],
  ])('maps status %s to %s', (code, kind) => {
    const appError = grpcStatusToAppError(serviceError(code, 'details here'));
    expect(appError).toBeInstanceOf(AppError);
    expect(appError.kind).toBe(kind);
    expect(appError.message).toContain('details here');
  });
});

describe('GrpcServer: every RPC decides its caller', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });
  const describeEngine = async (): Promise<DescribeEngineResponse> => DescribeEngineResponse.fromPartial({ engine: 'fake', language: 'en', destination: 'local' });

  it('refuses to register a service with a handler that checks no caller, naming it', () => {
    const server = new GrpcServer({ address: '127.0.0.1:0', logger });
    expect(() =>
      server.add({ name: SERVICE, definition: TranscriptionServiceService, implementation: { describeEngine: unaryHandler(logger, describeEngine) } }),
    ).toThrow(`${SERVICE}: no caller check on describeEngine`);
  });

  it('serves handlers behind authorizeRpc (the mark passes through unaryHandler), refusing callers it cannot identify', async () => {
    const trust = await generateServiceTrust(['gateway']);
    const evaluator = await PolicyEvaluator.load({ logger, watch: false });
    const server = new GrpcServer({ address: '127.0.0.1:0', logger });
    server.add({
      name: SERVICE,
      definition: TranscriptionServiceService,
      implementation: {
        describeEngine: unaryHandler(
          logger,
          authorizeRpc(
            { evaluator, verifier: trust.verifier, auditor: new LoggingDecisionAuditor(logger) },
            { method: `${SERVICE}/DescribeEngine`, user: { resource: (_req: DescribeEngineRequest, subject) => ({ tenant: subject.tenant, kind: 'tenant-settings' }) } },
            describeEngine,
          ),
        ),
      },
    });
    const { port } = await server.start();
    const client = createGrpcClient(TranscriptionServiceClient, `127.0.0.1:${port}`);
    try {
      await expect(callUnary(client, 'describeEngine', {})).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      const admin = { id: 'a', tenant: 't1', roles: ['admin'], kind: 'user' as const, mfa: false };
      const res = await callUnary<DescribeEngineRequest, DescribeEngineResponse>(client, 'describeEngine', {}, {
        metadata: subjectAssertionMetadata(await trust.signer('gateway').sign(admin)),
      });
      expect(res.engine).toBe('fake');
    } finally {
      client.close();
      evaluator.close();
      await server.shutdown({ graceMs: 0 });
    }
  });

  it('accepts a handler that refuses everyone, and one that marks its own check', () => {
    const refusing = new GrpcServer({ address: '127.0.0.1:0', logger });
    expect(() =>
      refusing.add({ name: SERVICE, definition: TranscriptionServiceService, implementation: { describeEngine: unaryHandler(logger, refuseEveryCaller()) } }),
    ).not.toThrow();
    const marked = new GrpcServer({ address: '127.0.0.1:0', logger });
    const selfChecked = markCallerChecked(unaryHandler(logger, describeEngine));
    expect(() => marked.add({ name: SERVICE, definition: TranscriptionServiceService, implementation: { describeEngine: selfChecked } })).not.toThrow();
  });
});
