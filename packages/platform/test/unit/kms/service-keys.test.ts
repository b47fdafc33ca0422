import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Envelope, SegmentTranscribedEvent } from '@confide/contracts';
import { z } from 'zod';
import { KeyRegistryServiceService, type KeyRegistryServiceServer } from '@confide/contracts';
import {
  ConfigError,
  EventPublisher,
  Events,
  GrpcServer,
  InMemoryKeyRegistry,
  InProcessEventBus,
  SUBJECT_ASSERTION_METADATA,
  createLogger,
  generateServiceTrust,
  loadConfig,
  unaryHandler,
} from '../../../src';
import { createServiceKeys, keyRegistryEnvShape, kmsEnvShape, type HealthTarget } from '../../../src/kms';

const logger = createLogger({ service: 'service-keys-test', level: 'silent' });
const schema = z.object({ ...kmsEnvShape, ...keyRegistryEnvShape });
const PHRASE = 'purple elephant seventeen';

describe('createServiceKeys', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confide-service-keys-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('needs KEY_REGISTRY_GRPC_ADDR unless the process hosts the registry', async () => {
    const config = loadConfig(schema, { KMS: 'local', KMS_LOCAL_DIR: dir });
    await expect(createServiceKeys(config, logger)).rejects.toThrow(ConfigError);
    await expect(createServiceKeys(config, logger)).rejects.toThrow(/KEY_REGISTRY_GRPC_ADDR: is required/);
    const keys = await createServiceKeys({ ...config, KEY_REGISTRY_GRPC_ADDR: '127.0.0.1:1' }, logger);
    keys.close();
  });

  it('signer: every key-registry call carries a fresh assertion of the service itself (no end user)', async () => {
    const trust = await generateServiceTrust(['ingest']);
    const seen: Array<string | undefined> = [];
    const unexpected = async (): Promise<never> => {
      throw new Error('not called in this test');
    };
    const implementation: KeyRegistryServiceServer = {
      getDataKey: unaryHandler(logger, async (_req, ctx) => {
        const values = ctx.metadata.get(SUBJECT_ASSERTION_METADATA);
        seen.push(typeof values[0] === 'string' ? values[0] : undefined);
        return { stored: undefined };
      }),
      getOrCreateDataKey: unaryHandler(logger, unexpected),
      destroyDataKey: unaryHandler(logger, unexpected),
      rotateTenantKey: unaryHandler(logger, unexpected),
      getTenantKeyStatus: unaryHandler(logger, unexpected),
    };
    const server = new GrpcServer({ address: '127.0.0.1:0', logger, allowUncheckedHandlers: true }); // a fake key registry
    server.add({ name: 'confide.storage.v1.KeyRegistryService', definition: KeyRegistryServiceService, implementation });
    const { port } = await server.start();
    const config = loadConfig(schema, { KMS: 'local', KMS_LOCAL_DIR: dir, KEY_REGISTRY_GRPC_ADDR: `127.0.0.1:${port}` });
    const keys = await createServiceKeys(config, logger, { signer: trust.signer('ingest') });
    try {
      for (const meeting of ['m-1', 'm-2']) await keys.keyring.get('t1', meeting, 'meeting').catch(() => undefined);
      expect(seen).toHaveLength(2);
      expect(seen[0]).not.toEqual(seen[1]);
      for (const token of seen) {
        const verified = await trust.verifier.verify(token);
        expect(verified.caller).toMatchObject({ kind: 'service', service: 'ingest' });
        expect(verified.subject).toBeUndefined();
      }
    } finally {
      keys.close();
      await server.shutdown();
    }
  });

  it('protect(): the inner bus carries only ciphertext, the service sees plaintext', async () => {
    const config = loadConfig(schema, { KMS: 'local', KMS_LOCAL_DIR: dir });
    const keys = await createServiceKeys(config, logger, { registry: new InMemoryKeyRegistry() });
    const inner = new InProcessEventBus({ logger });
    const bus = keys.protect(inner);
    const raw: Buffer[] = [];
    const seen: string[] = [];
    await inner.subscribe({ groupId: 'raw', topics: ['t'], handler: async (m) => void raw.push(m.value) });
    await bus.subscribe({
      groupId: 'service',
      topics: ['t'],
      handler: async (m) => void seen.push(SegmentTranscribedEvent.decode(Envelope.decode(m.value).payload).segment!.text),
    });
    await new EventPublisher(bus).publish(
      't',
      Events.SegmentTranscribed,
      SegmentTranscribedEvent.fromPartial({ segment: { segmentId: 's1', text: PHRASE } }),
      { tenantId: 't1', meetingId: 'm1', eventId: 'e1' },
    );
    const deadline = Date.now() + 5000;
    while ((raw.length === 0 || seen.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual([PHRASE]);
    expect(raw).toHaveLength(1);
    expect(Envelope.decode(raw[0]!).keyRef).toBe('meeting-dek');
    expect(raw[0]!.includes(Buffer.from('elephant'))).toBe(false);
    await bus.close();
    keys.close();
  });

  it('reportHealth(): NOT_SERVING for the services and the overall entry while the KMS is unavailable, SERVING when back', async () => {
    const config = loadConfig(schema, { KMS: 'local', KMS_LOCAL_DIR: dir, KMS_HEALTH_INTERVAL: '1m' });
    const keys = await createServiceKeys(config, logger, { registry: new InMemoryKeyRegistry() });
    const statuses = new Map<string, string>();
    const server: HealthTarget = { setStatus: (name, status) => void statuses.set(name, status) };
    await keys.reportHealth(server, ['confide.test.v1.TestService']);
    expect(statuses.size).toBe(0); // available from the start: nothing to change
    keys.health.reportUnavailable();
    expect(Object.fromEntries(statuses)).toEqual({ 'confide.test.v1.TestService': 'NOT_SERVING', '': 'NOT_SERVING' });
    await keys.health.probe(); // the local keyring answers
    expect(Object.fromEntries(statuses)).toEqual({ 'confide.test.v1.TestService': 'SERVING', '': 'SERVING' });
    keys.close();
    keys.health.reportUnavailable(); // stopped: the server's own shutdown owns the health now
    expect(statuses.get('')).toBe('SERVING');
  });
});
