import { createLogger, unavailable, type Clock } from '@confide/platform';
import { defaultRetentionPolicy, type RetentionPolicy } from '../../src/domain/retention-policy';
import { AudioKeyDeadlineSweep, DEFAULT_AUDIO_KEY_MAX_AGE_MS } from '../../src/use-cases/audio-key-deadline-sweep.use-case';
import { EraseTenant } from '../../src/use-cases/erase-tenant.use-case';
import { EraseUserData } from '../../src/use-cases/erase-user-data.use-case';
import { RestoreArchivedMeeting } from '../../src/use-cases/restore-archived-meeting.use-case';
import { RetentionSweep } from '../../src/use-cases/retention-sweep.use-case';
import { ProcessLocalErasureRequests } from '../../src/use-cases/run-erasure';
import { FakeCertificateLog, FakeKeyRegistry, FakeStorageMaintenance, FakeTenantKms } from './support/erasure-fakes';
import { FakeAuditLog } from './support/fakes';

const logger = createLogger({ service: 'lifecycle-test', level: 'silent' });
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

function manualClock(start: number): Clock & { set(ms: number): void } {
  let t = start;
  return { now: () => t, set: (ms) => (t = ms) };
}

describe('EraseTenant', () => {
  function setup() {
    const kms = new FakeTenantKms();
    const storage = new FakeStorageMaintenance()
      .add({ tenantId: 'acme', meetingId: 'm1', endedAtMs: 1, segmentsByTrack: { alice: 3 } })
      .add({ tenantId: 'other', meetingId: 'm1', endedAtMs: 1 });
    const erasures = new FakeCertificateLog();
    const audit = new FakeAuditLog();
    let n = 0;
    const useCase = new EraseTenant({
      kms,
      storage,
      requests: new ProcessLocalErasureRequests(),
      erasures,
      audit,
      clock: manualClock(1_000),
      logger,
      ids: { newId: () => `e-${++n}` },
    });
    return { kms, storage, erasures, audit, useCase };
  }

  it('destroys the tenant key first, then purges its rows only, and certifies', async () => {
    const { kms, storage, erasures, audit, useCase } = setup();
    const purge = storage.purgeTenant.bind(storage);
    storage.purgeTenant = async (t) => {
      expect(kms.destroyed).toEqual(['confide-tenant-acme']);
      return purge(t);
    };
    const result = await useCase.execute({ tenantId: 'acme', requestedBy: 'owner-1', reason: 'contract ended' });
    expect(result).toMatchObject({ tenantId: 'acme', certificateId: 'e-1', erased: { meetings: 1, segments: 3, data_keys: 2 } });
    expect(storage.meetings.map((m) => m.tenantId)).toEqual(['other']);
    const cert = erasures.issued.get('e-1')!;
    expect(cert.erasure.subject).toEqual({ kind: 'tenant' });
    expect(cert.erasure.keyRefs).toEqual(['kms:confide-tenant-acme']);
    expect(cert.cryptoErasedAtMs).toBe(1_000);
    // The key operation is a chain entry of its own (the key's name only), before the erasure's.
    expect(audit.entries.map((e) => [e.action, e.actor, e.resource, e.outcome])).toEqual([
      ['tenant-key:destroy', 'service:lifecycle', 'tenant-key/acme', 'success'],
      ['tenant:erase', 'owner-1', 'tenant/acme', 'success'],
    ]);
  });

  it('resumes after a failed purge with the same certificate, and refuses tenant ids that cannot name a key', async () => {
    const { kms, storage, erasures, useCase } = setup();
    const purge = storage.purgeTenant.bind(storage);
    storage.purgeTenant = async () => {
      throw unavailable('storage down');
    };
    await expect(useCase.execute({ tenantId: 'acme', requestedBy: 'owner-1' })).rejects.toMatchObject({ kind: 'unavailable' });
    storage.purgeTenant = purge;
    const result = await useCase.execute({ tenantId: 'acme', requestedBy: 'owner-1' });
    expect(result.certificateId).toBe('e-1');
    expect(kms.destroyed).toEqual(['confide-tenant-acme']);
    expect(erasures.signatures).toBe(1);
    await expect(useCase.execute({ tenantId: 'a/b', requestedBy: 'owner-1' })).rejects.toMatchObject({ kind: 'invalid-argument' });
  });
});

describe('EraseUserData', () => {
  it("purges the user's own track in every meeting of the tenant and certifies without crypto-erasure", async () => {
    const storage = new FakeStorageMaintenance()
      .add({ tenantId: 'acme', meetingId: 'm1', endedAtMs: 1, segmentsByTrack: { alice: 3, bob: 2 } })
      .add({ tenantId: 'acme', meetingId: 'm2', endedAtMs: 1, segmentsByTrack: { alice: 1 } })
      .add({ tenantId: 'other', meetingId: 'm3', endedAtMs: 1, segmentsByTrack: { alice: 5 } });
    const erasures = new FakeCertificateLog();
    const useCase = new EraseUserData({
      storage,
      requests: new ProcessLocalErasureRequests(),
      erasures,
      audit: new FakeAuditLog(),
      clock: manualClock(5),
      logger,
      ids: { newId: () => 'e-user' },
    });
    const result = await useCase.execute({ tenantId: 'acme', userId: 'alice', requestedBy: 'alice' });
    expect(result).toMatchObject({ userId: 'alice', meetingsAffected: 2, segments: 4, certificateId: 'e-user' });
    expect(storage.find('acme', 'm1')!.segmentsByTrack).toEqual({ bob: 2 });
    expect(storage.find('other', 'm3')!.segmentsByTrack).toEqual({ alice: 5 });
    expect(erasures.issued.get('e-user')!.cryptoErasedAtMs).toBeUndefined();
    await expect(useCase.execute({ tenantId: 'acme', requestedBy: 'x' })).rejects.toMatchObject({ message: expect.stringContaining('user_id') });
  });
});

describe('RetentionSweep (injected clock)', () => {
  const NOW = 1_800_000_000_000;

  function setup(policies: Record<string, Pick<RetentionPolicy, 'days' | 'action'>>) {
    const storage = new FakeStorageMaintenance()
      .add({ tenantId: 'del', meetingId: 'old', endedAtMs: NOW - 91 * DAY })
      .add({ tenantId: 'del', meetingId: 'young', endedAtMs: NOW - 89 * DAY })
      .add({ tenantId: 'arc', meetingId: 'old', endedAtMs: NOW - 31 * DAY })
      .add({ tenantId: 'arc', meetingId: 'young', endedAtMs: NOW - 29 * DAY });
    const erased: string[] = [];
    const eraser = {
      async execute(req: { tenantId: string; meetingId: string; requestedBy: string; reason: string }) {
        erased.push(`${req.tenantId}/${req.meetingId} by ${req.requestedBy}`);
        storage.remove(req.tenantId, req.meetingId);
      },
    };
    const audit = new FakeAuditLog();
    const clock = manualClock(NOW);
    const sweep = new RetentionSweep({
      storage,
      policies: { get: async (t) => ({ ...defaultRetentionPolicy(t), ...(policies[t] ?? {}) }) },
      eraser,
      audit,
      clock,
      logger,
      pageSize: 1,
    });
    return { storage, erased, audit, clock, sweep };
  }

  it('erases data past a delete policy (default 90 days) and archives past an archive policy; younger data is untouched', async () => {
    const { storage, erased, audit, sweep } = setup({ arc: { days: 30, action: 'archive' } });
    const result = await sweep.run();
    expect(result).toEqual({ tenants: 2, deleted: 1, archived: 1, failed: 0 });
    expect(erased).toEqual(['del/old by system:retention']);
    expect(storage.find('del', 'young')).toBeDefined();
    expect(storage.find('arc', 'old')!.archivedAtMs).toBeDefined();
    expect(storage.find('arc', 'young')!.archivedAtMs).toBeUndefined();
    expect(audit.entries.map((e) => `${e.tenantId} ${e.action} ${e.resource}`)).toEqual([
      'arc meeting:archive meeting/old',
      'arc retention:run tenant/arc',
      'del retention:run tenant/del',
    ]);
    // A second run finds nothing more to do.
    expect(await sweep.run()).toEqual({ tenants: 2, deleted: 0, archived: 0, failed: 0 });
  });

  it('later, once the clock passes the young meetings\' cutoff, takes them too; a delete policy also erases archived meetings', async () => {
    const { storage, erased, clock, sweep } = setup({ arc: { days: 30, action: 'archive' } });
    await sweep.run();
    clock.set(NOW + 2 * DAY);
    await sweep.run();
    expect(erased).toEqual(['del/old by system:retention', 'del/young by system:retention']);
    expect(storage.find('arc', 'young')!.archivedAtMs).toBeDefined();
    const switched = setup({});
    switched.storage.find('del', 'old')!.archivedAtMs = 1;
    await switched.sweep.run();
    expect(switched.erased).toContain('del/old by system:retention');
  });

  it('counts a failing meeting, goes on with the others and ends', async () => {
    const { storage, sweep } = setup({ arc: { days: 1, action: 'archive' } });
    storage.failingMeetings.add('old');
    const result = await sweep.run();
    expect(result.failed).toBe(1);
    expect(result.archived).toBe(1);
    expect(storage.find('arc', 'young')!.archivedAtMs).toBeDefined();
  });

  it('restores an archived meeting on request, audited; NOT_FOUND otherwise', async () => {
    const { storage, audit, clock, sweep } = setup({ arc: { days: 30, action: 'archive' } });
    await sweep.run();
    const restore = new RestoreArchivedMeeting({ storage, audit, clock, logger });
    await restore.execute({ tenantId: 'arc', meetingId: 'old', requestedBy: 'admin-1', reason: 'legal hold' });
    expect(storage.find('arc', 'old')!.archivedAtMs).toBeUndefined();
    await expect(restore.execute({ tenantId: 'arc', meetingId: 'old', requestedBy: 'admin-1' })).rejects.toMatchObject({ kind: 'not-found' });
    expect(audit.entries.filter((e) => e.action === 'meeting:restore').map((e) => e.outcome)).toEqual(['success', 'not-found']);
  });
});

describe('AudioKeyDeadlineSweep (injected clock)', () => {
  it('destroys audio keys of meetings ended longer ago than the maximum (default 72 h) even if transcription never finished', async () => {
    const ENDED = 1_800_000_000_000;
    const storage = new FakeStorageMaintenance()
      .add({ tenantId: 't1', meetingId: 'stalled', endedAtMs: ENDED })
      .add({ tenantId: 't2', meetingId: 'later', endedAtMs: ENDED + 10 * HOUR });
    const keys = new FakeKeyRegistry().add('t1', 'stalled', 'meeting', 'audio').add('t2', 'later', 'meeting', 'audio');
    keys.onDestroyed = (ref) => {
      const [tenantId, meetingId] = ref.split('/');
      storage.find(tenantId!, meetingId!)!.audioKeyActive = false;
    };
    const audit = new FakeAuditLog();
    const clock = manualClock(ENDED + DEFAULT_AUDIO_KEY_MAX_AGE_MS - 1);
    const sweep = new AudioKeyDeadlineSweep({ storage, keys, audit, clock, logger });

    expect(await sweep.run()).toEqual({ destroyed: 0, failed: 0 });
    expect(keys.calls).toEqual([]);

    clock.set(ENDED + DEFAULT_AUDIO_KEY_MAX_AGE_MS);
    expect(await sweep.run()).toEqual({ destroyed: 1, failed: 0 });
    expect(keys.calls).toEqual(['t1/stalled/audio']);
    expect(keys.active.has('t1/stalled/meeting')).toBe(true); // the meeting key is not the sweep's business
    expect(audit.entries.map((e) => `${e.tenantId} ${e.action} ${e.resource}`)).toEqual(['t1 key:destroy-audio meeting/stalled']);

    clock.set(ENDED + 10 * HOUR + DEFAULT_AUDIO_KEY_MAX_AGE_MS + 1);
    expect(await sweep.run()).toEqual({ destroyed: 1, failed: 0 });
    expect(keys.active.has('t2/later/audio')).toBe(false);
  });

  it('a failing destroy is counted and retried on the next run; the run ends', async () => {
    const storage = new FakeStorageMaintenance().add({ tenantId: 't1', meetingId: 'm', endedAtMs: 0 });
    const keys = new FakeKeyRegistry().add('t1', 'm', 'audio');
    keys.failWith = unavailable('registry down');
    const sweep = new AudioKeyDeadlineSweep({ storage, keys, audit: new FakeAuditLog(), clock: manualClock(DAY * 10), logger, maxAgeMs: HOUR });
    expect(await sweep.run()).toEqual({ destroyed: 0, failed: 1 });
    keys.failWith = undefined;
    keys.onDestroyed = () => (storage.find('t1', 'm')!.audioKeyActive = false);
    expect(await sweep.run()).toEqual({ destroyed: 1, failed: 0 });
  });
});
