import { createLogger, unavailable, type Clock } from '@confide/platform';
import { InMemoryEndedMeetings } from '../../src/adapters/memory/in-memory.ended-meetings';
import { DeleteMeeting } from '../../src/use-cases/delete-meeting.use-case';
import { ProcessLocalErasureRequests } from '../../src/use-cases/run-erasure';
import { FakeCertificateLog, FakeKeyRegistry, FakeLossyMeetingStore } from './support/erasure-fakes';
import { FakeAuditLog, FakeErasureEvents, FakeErasureLog } from './support/fakes';

const logger = createLogger({ service: 'lifecycle-test', level: 'silent' });
const ref = { tenantId: 'tenant-a', meetingId: 'meeting-1' };

function steppingClock(start = 1_700_000_500_000): Clock & { t: number } {
  const c = { t: start, now: () => (c.t += 10) };
  return c;
}

function setup() {
  const clock = steppingClock();
  const store = new FakeLossyMeetingStore().add(ref.tenantId, ref.meetingId, { segments: 12, alerts: 2, reports: 1 });
  const keys = new FakeKeyRegistry().add(ref.tenantId, ref.meetingId, 'meeting', 'audio');
  const events = new FakeErasureEvents();
  const erasures = new FakeCertificateLog();
  const audit = new FakeAuditLog();
  const ended = new InMemoryEndedMeetings();
  const requests = new ProcessLocalErasureRequests();
  let n = 0;
  const ids = { newId: () => `erasure-${++n}` };
  const useCase = new DeleteMeeting({ store, keys, events, erasures, audit, ended, clock, logger, requests, ids });
  return { clock, store, keys, events, erasures, audit, ended, requests, useCase };
}

describe('DeleteMeeting (crypto first, physical purge after)', () => {
  it('destroys both data keys before the purge, then certifies, publishes and audits', async () => {
    const { store, keys, events, erasures, audit, ended, useCase } = setup();
    await ended.recordEnded({ ...ref, endedAtMs: 1 });
    const order: string[] = [];
    keys.onDestroyed = (r) => order.push(`destroy ${r}`);
    const purge = store.purgeMeeting.bind(store);
    store.purgeMeeting = async (r) => {
      order.push('purge');
      // Crypto-erasure is complete before any row is touched.
      expect(keys.active.size).toBe(0);
      return purge(r);
    };

    const result = await useCase.execute({ ...ref, requestedBy: 'user-1', reason: 'customer request' });

    expect(order).toEqual(['destroy tenant-a/meeting-1/meeting', 'destroy tenant-a/meeting-1/audio', 'purge']);
    expect(result).toMatchObject({ meetingId: 'meeting-1', erased: { meetings: 1, segments: 12, alerts: 2, reports: 1 }, certificateId: 'erasure-1' });
    expect(result.cryptoErasedAtMs).toBeLessThan(result.erasedAtMs);
    const cert = erasures.issued.get('erasure-1')!;
    expect(cert).toMatchObject({
      tenantId: 'tenant-a',
      meetingId: 'meeting-1',
      requestedBy: 'user-1',
      reason: 'customer request',
      cryptoErasedAtMs: result.cryptoErasedAtMs,
      erasedAtMs: result.erasedAtMs,
      counts: { meetings: 1, segments: 12, alerts: 2, reports: 1 },
    });
    expect(cert.erasure.keyRefs).toEqual(['data-key:meeting-1/meeting', 'data-key:meeting-1/audio']);
    expect(events.published).toEqual([{ ...ref, requestedBy: 'user-1', erasedAtMs: result.erasedAtMs }]);
    expect(audit.entries.map((e) => [e.action, e.outcome, e.resource])).toEqual([['meeting:delete', 'success', 'meeting/meeting-1']]);
    expect(await ended.endedBefore(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('answers not-found for a meeting that never existed (no key, no row), on every retry, without a certificate', async () => {
    const { events, erasures, audit, useCase } = setup();
    const other = { tenantId: 'tenant-b', meetingId: 'meeting-1', requestedBy: 'user-2' };
    await expect(useCase.execute(other)).rejects.toMatchObject({ kind: 'not-found' });
    await expect(useCase.execute(other)).rejects.toMatchObject({ kind: 'not-found' });
    expect(events.published).toEqual([]);
    expect(erasures.issued.size).toBe(0);
    expect(audit.entries.map((e) => e.outcome)).toEqual(['not-found', 'not-found']);
  });

  it('a retry of a finished erasure returns the same result and certificate without redoing anything', async () => {
    const { store, keys, events, erasures, useCase } = setup();
    const first = await useCase.execute({ ...ref, requestedBy: 'user-1' });
    const second = await useCase.execute({ ...ref, requestedBy: 'user-1' });
    expect(second).toEqual(first);
    expect(store.purges).toHaveLength(1);
    expect(keys.calls).toHaveLength(2);
    expect(erasures.signatures).toBe(1);
    expect(events.published).toHaveLength(1);
  });

  it.each([
    ['the key registry fails', (s: ReturnType<typeof setup>) => (s.keys.failWith = unavailable('registry down')), (s: ReturnType<typeof setup>) => (s.keys.failWith = undefined)],
    ['the purge fails', (s: ReturnType<typeof setup>) => (s.store.failNext = unavailable('storage down')), () => undefined],
    ['the purge answer is lost', (s: ReturnType<typeof setup>) => (s.store.failAfterPurgeNext = unavailable('deadline')), () => undefined],
    ['the certificate cannot be signed', (s: ReturnType<typeof setup>) => (s.erasures.failing = true), (s: ReturnType<typeof setup>) => (s.erasures.failing = false)],
    ['MeetingErased cannot be published', (s: ReturnType<typeof setup>) => (s.events.failing = true), (s: ReturnType<typeof setup>) => (s.events.failing = false)],
  ])('when %s, the call fails and a retry completes the remaining steps with one certificate', async (_label, breakIt, heal) => {
    const s = setup();
    breakIt(s);
    await expect(s.useCase.execute({ ...ref, requestedBy: 'user-1', reason: 'r' })).rejects.toMatchObject({ kind: expect.any(String) });
    heal(s);

    const result = await s.useCase.execute({ ...ref, requestedBy: 'user-1', reason: 'r' });

    expect(result.certificateId).toBe('erasure-1');
    expect(s.erasures.signatures).toBe(1);
    expect(s.keys.tombstones).toEqual(new Set(['tenant-a/meeting-1/meeting', 'tenant-a/meeting-1/audio']));
    expect(s.store.meetings.size).toBe(0);
    expect(s.events.published).toHaveLength(1);
    expect(s.erasures.issued.get('erasure-1')!.cryptoErasedAtMs).toBeDefined();
    expect(s.audit.entries.map((e) => e.outcome)).toEqual(['failure', 'success']);
  });

  it('a lost purge answer is not mistaken for an unknown meeting: the keys destroyed on the first try prove it existed', async () => {
    const s = setup();
    s.store.failAfterPurgeNext = unavailable('deadline');
    await expect(s.useCase.execute({ ...ref, requestedBy: 'user-1' })).rejects.toMatchObject({ kind: 'unavailable' });
    const result = await s.useCase.execute({ ...ref, requestedBy: 'user-1' });
    // The rows were deleted by the first call whose counts were lost: the retry's purge finds none.
    expect(result.erased).toEqual({ meetings: 0, segments: 0, alerts: 0, reports: 0 });
    expect(result.certificateId).toBe('erasure-1');
  });

  it('without a key registry it purges, certifies crypto_erased_at null, and says so', async () => {
    const s = setup();
    const erasures = new FakeErasureLog();
    const useCase = new DeleteMeeting({
      store: s.store,
      events: s.events,
      erasures,
      audit: s.audit,
      ended: s.ended,
      clock: s.clock,
      logger,
    });
    const result = await useCase.execute({ ...ref, requestedBy: 'user-1' });
    expect(result.cryptoErasedAtMs).toBeUndefined();
    expect(erasures.records[0]).not.toHaveProperty('cryptoErasedAtMs');
    expect(result.erased.segments).toBe(12);
  });

  it.each([
    ['tenant_id', { meetingId: 'm', requestedBy: 'u' }],
    ['meeting_id', { tenantId: 't', meetingId: '', requestedBy: 'u' }],
    ['requested_by', { tenantId: 't', meetingId: 'm' }],
    ['meeting_id', { tenantId: 't', meetingId: 'a\nb', requestedBy: 'u' }],
    ['reason', { tenantId: 't', meetingId: 'm', requestedBy: 'u', reason: 'x'.repeat(1001) }],
  ])('rejects a request with an invalid %s before touching keys or storage', async (field, req) => {
    const { store, keys, useCase } = setup();
    await expect(useCase.execute(req)).rejects.toMatchObject({ kind: 'invalid-argument', message: expect.stringContaining(field) });
    expect(store.purges).toEqual([]);
    expect(keys.calls).toEqual([]);
  });
});
