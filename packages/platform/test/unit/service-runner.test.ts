import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { context, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import {
  DescribeEngineResponse,
  TranscriptionServiceClient,
  TranscriptionServiceService,
  type DescribeEngineRequest,
} from '@confide/contracts';
import {
  GrpcServer,
  callUnary,
  createGrpcClient,
  createLogger,
  ensureTracePropagation,
  onShutdown,
  runServiceModules,
  unaryHandler,
  type ServiceModule,
} from '../../src';

class FakeLogSink extends Writable {
  override _write(_chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    cb();
  }
}

const logger = createLogger({ service: 'test', destination: new FakeLogSink() });

class FakeModule implements ServiceModule {
  readonly grpcServices;
  traceIds: Array<string | undefined> = [];
  constructor(
    readonly name: string,
    private readonly events: string[],
    withService = false,
  ) {
    this.grpcServices = withService
      ? [
          {
            name: 'confide.transcription.v1.TranscriptionService',
            definition: TranscriptionServiceService,
            implementation: {
              describeEngine: unaryHandler<DescribeEngineRequest, DescribeEngineResponse>(logger, async () => {
                this.traceIds.push(trace.getSpanContext(context.active())?.traceId);
                return DescribeEngineResponse.fromPartial({ engine: name });
              }),
            },
          },
        ]
      : [];
  }
  async start(): Promise<void> {
    this.events.push(`start ${this.name}`);
  }
  async stop(): Promise<void> {
    this.events.push(`stop ${this.name}`);
  }
}

describe('runServiceModules', () => {
  beforeAll(() => {
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    ensureTracePropagation();
  });

  it('registers services, starts modules in order, serves, and stops in reverse then flushes telemetry', async () => {
    const events: string[] = [];
    const a = new FakeModule('a', events, true);
    const b = new FakeModule('b', events);
    const server = new GrpcServer({ address: '127.0.0.1:0', logger, allowUncheckedHandlers: true }); // fake modules
    const running = await runServiceModules({
      modules: [a, b],
      server,
      logger,
      telemetry: { shutdown: async () => void events.push('telemetry flushed') },
    });
    const client = createGrpcClient(TranscriptionServiceClient, `127.0.0.1:${running.port}`);
    try {
      let rootTraceId = '';
      const res = await trace.getTracer('test').startActiveSpan('root', async (span) => {
        rootTraceId = span.spanContext().traceId;
        try {
          return await callUnary<DescribeEngineRequest, DescribeEngineResponse>(client, 'describeEngine', {});
        } finally {
          span.end();
        }
      });
      expect(res.engine).toBe('a');
      // Trace context flows callUnary -> metadata -> unaryHandler.
      expect(a.traceIds).toEqual([rootTraceId]);
    } finally {
      client.close();
    }
    await running.stop();
    await running.stop();
    expect(events).toEqual(['start a', 'start b', 'stop b', 'stop a', 'telemetry flushed']);
    // A closed client rejects with a ServiceError too.
    await expect(callUnary(client, 'describeEngine', {})).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    // The server is gone.
    const late = createGrpcClient(TranscriptionServiceClient, `127.0.0.1:${running.port}`);
    try {
      await expect(callUnary(late, 'describeEngine', {}, { deadlineMs: 1000 })).rejects.toMatchObject({
        code: expect.any(Number),
      });
    } finally {
      late.close();
    }
  });

  it('stops the modules already started when a later one fails to start', async () => {
    const events: string[] = [];
    const ok = new FakeModule('ok', events);
    const broken: ServiceModule = {
      name: 'broken',
      grpcServices: [],
      start: async () => {
        throw new Error('cannot start');
      },
      stop: async () => void events.push('stop broken'),
    };
    const server = new GrpcServer({ address: '127.0.0.1:0', logger, allowUncheckedHandlers: true }); // fake modules
    await expect(runServiceModules({ modules: [ok, broken], server, logger })).rejects.toThrow('cannot start');
    expect(events).toEqual(['start ok', 'stop ok']);
  });
});

describe('onShutdown', () => {
  it('runs the hook once on the signal and exits 0', async () => {
    const exits: number[] = [];
    const signals: string[] = [];
    const remove = onShutdown(logger, async (signal) => void signals.push(signal), { signals: ['SIGUSR2'], exit: (code) => void exits.push(code) });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      process.emit('SIGUSR2', 'SIGUSR2');
      const deadline = Date.now() + 2000;
      while (exits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(signals).toEqual(['SIGUSR2']);
      expect(exits).toEqual([0]);
    } finally {
      remove();
    }
  });

  it('exits 1 when the hook fails', async () => {
    const exits: number[] = [];
    const remove = onShutdown(
      logger,
      async () => {
        throw new Error('flush failed');
      },
      { signals: ['SIGUSR2'], exit: (code) => void exits.push(code) },
    );
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      const deadline = Date.now() + 2000;
      while (exits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(exits).toEqual([1]);
    } finally {
      remove();
    }
  });
});

