import { createLogger, unavailable } from '@confide/platform';
import { InMemoryEndedMeetings } from '../../src/adapters/memory/in-memory.ended-meetings';
import { DeleteMeeting } from '../../src/use-cases/delete-meeting.use-case';
import { EraseUserData } from '../../src/use-cases/erase-user-data.use-case';
import { ErasureResumeSweep } from '../../src/use-cases/erasure-resume-sweep.use-case';
import { ProcessLocalErasureRequests } from '../../src/use-cases/run-erasure';
import { FakeCertificateLog, FakeKeyRegistry, FakeLossyMeetingStore, FakeStorageMaintenance } from './support/erasure-fakes';
import { FakeAuditLog, FakeErasureEvents } from './support/fakes';

const logger = createLogger({ service: 'lifecycle-test', level: 'silent' });
const MINUTE = 60_000;

/**
 * The outbox sweeper on the scheduler's leader: erasures that failed half-way are resumed without
 * the client asking again, idempotently (the same certificate, one purge, nothing redone).
 */
describe('ErasureResumeSweep (pending erasures resumed by the leader)', () => {
  function setup() {
    let now = 1_800_000_000_000;
    const clock = { now: () => now, advance: (ms: number) => (now += ms) };
    const maintenance = new FakeStorageMaintenance()
      .add({ tenantId: 'acme', meetingId: 'm1', endedAtMs: 1, segmentsByTrack: { alice: 3, bob: 2 } })
      .add({ tenantId: 'acme', meetingId: 'm2', endedAtMs: 1, segmentsByTrack: { alice: 1 } })
      .add({ tenantId: 'zeta', meetingId: 'z1', endedAtMs: 1 });
    const store = new FakeLossyMeetingStore().add('acme', 'm1', { segments: 5, alerts: 0, reports: 1 });
    const keys = new FakeKeyRegistry().add('acme', 'm1', 'meeting', 'audio');
    const requests = new ProcessLocalErasureRequests();
    const erasures = new FakeCertificateLog();
    const audit = new FakeAuditLog();
    const events = new FakeErasureEvents();
    let n = 0;
    const ids = { newId: () => `e-${++n}` };
    const deleteMeeting = new DeleteMeeting({ store, keys, events, erasures, audit, ended: new InMemoryEndedMeetings(), clock, logger, requests, ids });
    const eraseUserData = new EraseUserData({ storage: maintenance, requests, erasures, audit, clock, logger, ids });
    const calls: string[] = [];
    const sweep = new ErasureResumeSweep({
      storage: maintenance,
      requests,
      resume: {
        meeting: (r) => (calls.push(`meeting ${r.tenantId}/${r.meetingId} by ${r.requestedBy}`), deleteMeeting.execute(r)),
        user: (r) => (calls.push(`user ${r.tenantId}/${r.userId} by ${r.requestedBy}`), eraseUserData.execute(r)),
      },
      clock,
      logger,
      minAgeMs: MINUTE,
      pageSize: 1, // pages of one tenant: the listing's paging is exercised too
    });
    return { clock, maintenance, store, keys, requests, erasures, events, deleteMeeting, eraseUserData, sweep, calls };
  }

  it('resumes a meeting erasure whose purge failed and a user erasure whose certificate failed, once, with the recorded requester and reason', async () => {
    const s = setup();
    // The meeting: keys destroyed, then the purge fails (storage down).
    s.store.failNext = unavailable('storage down');
    await expect(s.deleteMeeting.execute({ tenantId: 'acme', meetingId: 'm1', requestedBy: 'admin-1', reason: 'customer request' })).rejects.toMatchObject({ kind: 'unavailable' });
    expect(s.keys.active.size).toBe(0);
    // The user: purged, then the certificate cannot be signed (KMS down).
    s.erasures.failing = true;
    await expect(s.eraseUserData.execute({ tenantId: 'acme', userId: 'alice', requestedBy: 'alice', reason: 'GDPR art. 17' })).rejects.toMatchObject({ kind: 'unavailable' });
    s.erasures.failing = false;
    expect((await s.requests.pending('acme', 10)).map((r) => r.subject.kind)).toEqual(['meeting', 'user']);

    // Too young: the request may still be running; the sweep leaves them.
    expect(await s.sweep.run()).toEqual({ resumed: 0, failed: 0 });
    expect(s.calls).toEqual([]);

    s.clock.advance(2 * MINUTE);
    expect(await s.sweep.run()).toEqual({ resumed: 2, failed: 0 });
    expect(s.calls).toEqual(['meeting acme/m1 by admin-1', 'user acme/alice by alice']);
    expect(await s.requests.pending('acme', 10)).toEqual([]);
    // One purge after the failed one; certificates are those of the original erasures; the event went out.
    expect(s.store.purges).toEqual(['acme/m1', 'acme/m1']);
    expect([...s.erasures.issued.keys()].sort()).toEqual(['e-1', 'e-2']);
    expect(s.erasures.issued.get('e-1')!.reason).toBe('customer request');
    expect(s.erasures.signatures).toBe(2);
    expect(s.events.published.map((e) => e.meetingId)).toEqual(['m1']);
    expect(s.maintenance.find('acme', 'm1')!.segmentsByTrack).toEqual({ bob: 2 });

    // Nothing left: a further run resumes nothing and changes nothing.
    expect(await s.sweep.run()).toEqual({ resumed: 0, failed: 0 });
    expect(s.calls).toHaveLength(2);
    expect(s.erasures.signatures).toBe(2);
  });

  it('counts a resume that fails again and leaves it pending; the next run completes it', async () => {
    const s = setup();
    s.store.failNext = unavailable('storage down');
    await expect(s.deleteMeeting.execute({ tenantId: 'acme', meetingId: 'm1', requestedBy: 'admin-1' })).rejects.toBeDefined();
    s.clock.advance(2 * MINUTE);
    s.store.failNext = unavailable('still down');
    expect(await s.sweep.run()).toEqual({ resumed: 0, failed: 1 });
    expect(await s.requests.pending('acme', 10)).toHaveLength(1);
    expect(await s.sweep.run()).toEqual({ resumed: 1, failed: 0 });
    expect(await s.requests.pending('acme', 10)).toEqual([]);
    expect(s.erasures.signatures).toBe(1);
  });
});
