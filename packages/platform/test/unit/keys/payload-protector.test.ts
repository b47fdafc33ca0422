import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AudioFrameReceivedEvent, Envelope, MeetingErasedEvent, SegmentTranscribedEvent } from '@confide/contracts';
import {
  EnvelopePayloadProtector,
  EventPublisher,
  EventRouter,
  Events,
  InMemoryKeyRegistry,
  InProcessEventBus,
  KeyDestroyedError,
  KmsUnavailableError,
  LocalKms,
  MeetingKeyring,
  PayloadKeyUnavailableError,
  PoisonMessageError,
  TenantKeyProvisioningKms,
  createLogger,
  protectEventBus,
  tenantKeyName,
  type BusMessage,
  type EventBus,
  type Kms,
  type ReceivedMessage,
  type Subscription,
} from '../../../src';

class FakeLogSink extends Writable {
  override _write(_chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    cb();
  }
}
const logger = createLogger({ service: 'test', destination: new FakeLogSink() });

/** A KMS that cannot be reached: every call is KmsUnavailableError. */
class UnavailableKms extends TenantKeyProvisioningKms {
  constructor() {
    super(undefined as unknown as Kms);
  }
  override async generateDataKey(): Promise<never> {
    throw new KmsUnavailableError('kms unreachable');
  }
  override async unwrapDataKey(): Promise<never> {
    throw new KmsUnavailableError('kms unreachable');
  }
  override async createKey(): Promise<never> {
    throw new KmsUnavailableError('kms unreachable');
  }
}

/** An EventBus that records what reaches it. */
class RecordingBus implements EventBus {
  readonly published: BusMessage[] = [];
  async publish(_topic: string, messages: BusMessage[]): Promise<void> {
    this.published.push(...messages);
  }
  async subscribe(): Promise<Subscription> {
    return { close: async () => undefined };
  }
  async ensureTopics(): Promise<void> {}
  async close(): Promise<void> {}
}

const received = (value: Buffer, attempt = 1): ReceivedMessage => ({ topic: 't', partition: 0, offset: '0', key: 'm1', value, headers: {}, attempt });

const segment = (text: string): SegmentTranscribedEvent =>
  SegmentTranscribedEvent.fromPartial({ segment: { segmentId: 'm1:mixed:1', speakerLabel: 'Alice', text } });

const frame = (sequence: number): AudioFrameReceivedEvent =>
  AudioFrameReceivedEvent.fromPartial({ trackId: 'mixed', sequence, speakerLabel: 'Alice' });
const erased = (): MeetingErasedEvent => MeetingErasedEvent.fromPartial({ tenantId: 't1', meetingId: 'm1' });

const PHRASE = 'purple elephant seventeen';

describe('payload encryption on the bus', () => {
  let dir: string;
  let kms: LocalKms;
  let registry: InMemoryKeyRegistry;
  let keyring: MeetingKeyring;
  let protector: EnvelopePayloadProtector;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confide-keys-'));
    kms = await LocalKms.open({ dir });
    registry = new InMemoryKeyRegistry();
    keyring = new MeetingKeyring({ kms, registry });
    protector = new EnvelopePayloadProtector(keyring);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Publishes through `publisher` into a recording bus and returns the raw messages. */
  async function publishRaw(publisher: EventPublisher, bus: RecordingBus, items: Array<[typeof Events.SegmentTranscribed | typeof Events.AudioFrameReceived, unknown, string]>): Promise<BusMessage[]> {
    for (const [type, value, eventId] of items) {
      await publisher.publish('t', type as typeof Events.SegmentTranscribed, value as SegmentTranscribedEvent, { tenantId: 't1', meetingId: 'm1', eventId });
    }
    return bus.published;
  }

  it('round-trips a segment and an audio frame: ciphertext with key_ref on the bus, the event in the handler', async () => {
    const bus = new RecordingBus();
    const publisher = new EventPublisher(bus, { protector });
    const [seg, audio] = await publishRaw(publisher, bus, [
      [Events.SegmentTranscribed, segment(PHRASE), 'e1'],
      [Events.AudioFrameReceived, frame(1), 'e2'],
    ]);
    const segEnvelope = Envelope.decode(seg!.value);
    expect(segEnvelope.keyRef).toBe('meeting-dek');
    expect(Envelope.decode(audio!.value).keyRef).toBe('audio-dek');
    for (const m of [seg!, audio!]) {
      expect(m.value.includes(Buffer.from('purple'))).toBe(false);
      expect(m.value.includes(Buffer.from('Alice'))).toBe(false);
    }
    expect(Buffer.from(segEnvelope.payload).subarray(0, 2).toString('latin1')).toBe('CF');

    const texts: string[] = [];
    const sequences: number[] = [];
    const router = new EventRouter(logger, { protector })
      .on(Events.SegmentTranscribed, async (v) => void texts.push(v.segment!.text))
      .on(Events.AudioFrameReceived, async (v) => void sequences.push(v.sequence));
    await router.handler(received(seg!.value));
    await router.handler(received(audio!.value));
    expect(texts).toEqual([PHRASE]);
    expect(sequences).toEqual([1]);
    // One generate per purpose; readers in the same process hit the cache.
    expect(keyring.stats()).toMatchObject({ kmsCalls: 2, tenantKeysCreated: 1 });
    expect(await kms.keyExists(tenantKeyName('t1'))).toBe(true);
  });

  it('costs at most one KMS call per purpose per meeting, however many events', async () => {
    const bus = new RecordingBus();
    const publisher = new EventPublisher(bus, { protector });
    for (let i = 1; i <= 50; i++) {
      await publisher.publish('t', Events.AudioFrameReceived, frame(i), { tenantId: 't1', meetingId: 'm1' });
      await publisher.publish('t', Events.SegmentTranscribed, segment(`s${i}`), { tenantId: 't1', meetingId: 'm1' });
    }
    const reader = new MeetingKeyring({ kms, registry }); // another process
    const router = new EventRouter(logger, { protector: new EnvelopePayloadProtector(reader) })
      .on(Events.SegmentTranscribed, async () => undefined)
      .on(Events.AudioFrameReceived, async () => undefined);
    for (const m of bus.published) await router.handler(received(m.value));
    expect(keyring.stats().kmsCalls).toBe(2);
    expect(reader.stats().kmsCalls).toBe(2);
  });

  it('fails closed: with the KMS unavailable publish throws and nothing reaches the bus', async () => {
    const bus = new RecordingBus();
    const down = new EnvelopePayloadProtector(new MeetingKeyring({ kms: new UnavailableKms(), registry, provisionTenantKeys: false }));
    const publisher = new EventPublisher(bus, { protector: down });
    await expect(publisher.publish('t', Events.SegmentTranscribed, segment(PHRASE), { tenantId: 't1', meetingId: 'm1' })).rejects.toBeInstanceOf(
      KmsUnavailableError,
    );
    // A batch with one sealable and one unsealable item publishes nothing either.
    await expect(
      publisher.publishMany('t', [
        { type: Events.MeetingErased, value: erased(), meta: { tenantId: 't1', meetingId: 'm1' } },
        { type: Events.AudioFrameReceived, value: frame(1), meta: { tenantId: 't1', meetingId: 'm1' } },
      ] as never),
    ).rejects.toBeInstanceOf(KmsUnavailableError);
    const protectedBus = protectEventBus(bus, down);
    await expect(new EventPublisher(protectedBus).publish('t', Events.AudioFrameReceived, frame(1), { tenantId: 't1', meetingId: 'm1' })).rejects.toBeInstanceOf(
      KmsUnavailableError,
    );
    expect(bus.published).toHaveLength(0);
    expect(registry.size).toBe(0);
  });

  it('a reader whose KMS is unavailable fails retryably and never decodes the payload', async () => {
    const bus = new RecordingBus();
    await publishRaw(new EventPublisher(bus, { protector }), bus, [[Events.SegmentTranscribed, segment(PHRASE), 'e1']]);
    const down = new EnvelopePayloadProtector(new MeetingKeyring({ kms: new UnavailableKms(), registry, provisionTenantKeys: false }));
    const handled: string[] = [];
    const router = new EventRouter(logger, { protector: down }).on(Events.SegmentTranscribed, async (v) => void handled.push(v.segment!.text));
    await expect(router.handler(received(bus.published[0]!.value))).rejects.toBeInstanceOf(KmsUnavailableError);
    expect(handled).toEqual([]);
  });

  it('rejects a tampered payload, a payload moved to another event, and plaintext where ciphertext is due', async () => {
    const bus = new RecordingBus();
    const [a, b] = await publishRaw(new EventPublisher(bus, { protector }), bus, [
      [Events.SegmentTranscribed, segment('first'), 'e1'],
      [Events.SegmentTranscribed, segment('second'), 'e2'],
    ]);
    const handled: string[] = [];
    const router = new EventRouter(logger, { protector }).on(Events.SegmentTranscribed, async (v) => void handled.push(v.segment!.text));

    const envA = Envelope.decode(a!.value);
    const tampered = Buffer.from(envA.payload);
    tampered[tampered.length - 20]! ^= 0x01;
    const encode = (e: Envelope): Buffer => Buffer.from(Envelope.encode(e).finish());
    await expect(router.handler(received(encode({ ...envA, payload: tampered })))).rejects.toBeInstanceOf(PoisonMessageError);

    const envB = Envelope.decode(b!.value);
    await expect(router.handler(received(encode({ ...envB, payload: envA.payload })))).rejects.toBeInstanceOf(PoisonMessageError);
    await expect(router.handler(received(encode({ ...envA, meetingId: 'm2' })))).rejects.toThrow();
    await expect(router.handler(received(encode({ ...envA, tenantId: 't2' })))).rejects.toThrow();
    await expect(router.handler(received(encode({ ...envA, type: Events.AlertRaised.typeName })))).resolves.toBeUndefined(); // no route: ignored, not decoded

    const plainBus = new RecordingBus();
    await new EventPublisher(plainBus).publish('t', Events.SegmentTranscribed, segment('plain'), { tenantId: 't1', meetingId: 'm1' });
    await expect(router.handler(received(plainBus.published[0]!.value))).rejects.toBeInstanceOf(PoisonMessageError);
    // An audio payload relabelled as a meeting-key payload is refused too.
    const audioBus = new RecordingBus();
    await new EventPublisher(audioBus, { protector }).publish('t', Events.AudioFrameReceived, frame(1), { tenantId: 't1', meetingId: 'm1' });
    const audio = Envelope.decode(audioBus.published[0]!.value);
    await expect(router.handler(received(encode({ ...audio, keyRef: 'meeting-dek', type: Events.SegmentTranscribed.typeName })))).rejects.toBeInstanceOf(
      PoisonMessageError,
    );
    expect(handled).toEqual([]);
    // The untouched originals still open.
    await router.handler(received(a!.value));
    expect(handled).toEqual(['first']);
  });

  it('drops (acks) an audio message once the audio key is destroyed; a destroyed meeting key is a retryable error', async () => {
    const bus = new RecordingBus();
    const [seg, audio] = await publishRaw(new EventPublisher(bus, { protector }), bus, [
      [Events.SegmentTranscribed, segment(PHRASE), 'e1'],
      [Events.AudioFrameReceived, frame(1), 'e2'],
    ]);
    const handled: string[] = [];
    const router = new EventRouter(logger, { protector })
      .on(Events.SegmentTranscribed, async () => void handled.push('segment'))
      .on(Events.AudioFrameReceived, async () => void handled.push('audio'));

    expect(await keyring.destroy('t1', 'm1', 'audio')).toBe(true);
    expect(await keyring.destroy('t1', 'm1', 'audio')).toBe(false); // idempotent
    await expect(router.handler(received(audio!.value))).resolves.toBeUndefined();
    // A fresh process (empty cache) cannot decrypt it either, and cannot re-create the key.
    const fresh = new EnvelopePayloadProtector(new MeetingKeyring({ kms, registry }));
    await expect(fresh.open(Envelope.decode(audio!.value), 'audio')).resolves.toEqual({ outcome: 'dropped', reason: 'key-destroyed' });
    await expect(new EventPublisher(new RecordingBus(), { protector: fresh }).publish('t', Events.AudioFrameReceived, frame(2), { tenantId: 't1', meetingId: 'm1' })).rejects.toThrow(
      'erased',
    );
    // The meeting key is untouched.
    await router.handler(received(seg!.value));
    expect(handled).toEqual(['segment']);

    await keyring.destroy('t1', 'm1', 'meeting');
    await expect(router.handler(received(seg!.value))).rejects.toBeInstanceOf(PayloadKeyUnavailableError);
    expect(handled).toEqual(['segment']);
  });

  it('protectEventBus encrypts for every module on it and decrypts before their handlers', async () => {
    const inner = new InProcessEventBus({ defaultPartitions: 1, trimAcknowledged: false });
    const bus = protectEventBus(inner, protector, { logger });
    const raw: Buffer[] = [];
    const texts: string[] = [];
    const rawSub = await inner.subscribe({ groupId: 'raw', topics: ['t'], handler: async (m) => void raw.push(m.value) });
    const router = new EventRouter(logger)
      .on(Events.SegmentTranscribed, async (v) => void texts.push(v.segment!.text))
      .on(Events.MeetingErased, async (v) => void texts.push(`erased ${v.meetingId}`))
      .on(Events.AudioFrameReceived, async () => void texts.push('audio'));
    const sub = await bus.subscribe({ groupId: 'g', topics: ['t'], handler: router.handler });
    const publisher = new EventPublisher(bus);
    await publisher.publish('t', Events.SegmentTranscribed, segment(PHRASE), { tenantId: 't1', meetingId: 'm1' });
    await publisher.publish('t', Events.MeetingErased, erased(), { tenantId: 't1', meetingId: 'm1' });
    await keyring.destroy('t1', 'm1', 'audio');
    await expect(publisher.publish('t', Events.AudioFrameReceived, frame(1), { tenantId: 't1', meetingId: 'm1' })).rejects.toThrow();
    const deadline = Date.now() + 3000;
    while ((texts.length < 2 || raw.length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(texts).toEqual([PHRASE, 'erased m1']);
    expect(raw).toHaveLength(2);
    expect(raw[0]!.includes(Buffer.from('purple'))).toBe(false);
    expect(Envelope.decode(raw[0]!).keyRef).toBe('meeting-dek');
    expect(Envelope.decode(raw[1]!).keyRef).toBe(''); // MeetingErased carries ids only and outlives the keys
    await sub.close();
    await rawSub.close();
    await bus.close();
  });

  it('creates the tenant key on first use, once, and never re-creates a destroyed one', async () => {
    const provisioning = new TenantKeyProvisioningKms(kms);
    await Promise.all([provisioning.generateDataKey(tenantKeyName('t9')), provisioning.generateDataKey(tenantKeyName('t9'))]);
    expect(provisioning.tenantKeysCreated).toBe(1);
    await kms.destroyKey(tenantKeyName('t9'));
    await expect(provisioning.generateDataKey(tenantKeyName('t9'))).rejects.toBeInstanceOf(KeyDestroyedError);
    expect(provisioning.tenantKeysCreated).toBe(1);
  });
});
