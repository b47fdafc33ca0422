import { createLogger, unavailable, type Clock } from '@confide/platform';
import { InMemoryEndedMeetings } from '../../src/adapters/memory/in-memory.ended-meetings';
import { DeleteMeeting } from '../../src/use-cases/delete-meeting.use-case';
import { FakeAuditLog, FakeErasureEvents, FakeErasureLog, FakeMeetingStore } from './support/fakes';

const NOW = 1_700_000_500_000;
const clock: Clock = { now: () => NOW };
const logger = createLogger({ service: 'lifecycle-test', level: 'silent' });
const ref = { tenantId: 'tenant-a', meetingId: 'meeting-1' };

function setup() {
  const store = new FakeMeetingStore().add(ref, { segments: 12, alerts: 2, reports: 1 });
  const events = new FakeErasureEvents();
  const erasures = new FakeErasureLog();
  const audit = new FakeAuditLog();
  const ended = new InMemoryEndedMeetings();
  const useCase = new DeleteMeeting({ store, events, erasures, audit, ended, clock, logger });
  return { store, events, erasures, audit, ended, useCase };
}

describe('DeleteMeeting', () => {
  it('purges the meeting, publishes MeetingErased, records the erasure and returns the counts', async () => {
    const { store, events, erasures, audit, ended, useCase } = setup();
    await ended.recordEnded({ ...ref, endedAtMs: NOW - 1000 });

    const result = await useCase.execute({ ...ref, requestedBy: 'user-1', reason: 'customer request' });

    expect(result).toEqual({ meetingId: 'meeting-1', erased: { meetings: 1, segments: 12, alerts: 2, reports: 1 }, erasedAtMs: NOW });
    expect(store.purges).toEqual([ref]);
    expect(events.published).toEqual([{ ...ref, requestedBy: 'user-1', erasedAtMs: NOW }]);
    expect(erasures.records).toEqual([{ ...ref, requestedBy: 'user-1', erasedAtMs: NOW, counts: result.erased }]);
    expect(audit.entries).toEqual([
      {
        tenantId: 'tenant-a',
        actor: 'user-1',
        action: 'meeting:delete',
        resource: 'meeting/meeting-1',
        outcome: 'success',
        atMs: NOW,
        reason: 'customer request',
      },
    ]);
    expect(await ended.endedBefore(NOW, 10)).toEqual([]);
  });

  it('answers not-found when storage had no meeting (unknown, other tenant or already erased) and publishes nothing', async () => {
    const { events, audit, useCase } = setup();
    await useCase.execute({ ...ref, requestedBy: 'user-1' });
    await expect(useCase.execute({ ...ref, requestedBy: 'user-1' })).rejects.toMatchObject({ kind: 'not-found' });
    await expect(useCase.execute({ tenantId: 'tenant-b', meetingId: 'meeting-1', requestedBy: 'user-2' })).rejects.toMatchObject({
      kind: 'not-found',
    });
    expect(events.published).toHaveLength(1);
    expect(audit.entries.map((e) => e.outcome)).toEqual(['success', 'not-found', 'not-found']);
  });

  it.each([
    ['tenant_id', { meetingId: 'm', requestedBy: 'u' }],
    ['meeting_id', { tenantId: 't', meetingId: '', requestedBy: 'u' }],
    ['requested_by', { tenantId: 't', meetingId: 'm' }],
    ['meeting_id', { tenantId: 't', meetingId: 'a\nb', requestedBy: 'u' }],
    ['reason', { tenantId: 't', meetingId: 'm', requestedBy: 'u', reason: 'x'.repeat(1001) }],
  ])('rejects a request with an invalid %s before touching storage', async (field, req) => {
    const { store, useCase } = setup();
    await expect(useCase.execute(req)).rejects.toMatchObject({ kind: 'invalid-argument', message: expect.stringContaining(field) });
    expect(store.purges).toEqual([]);
  });

  it('passes storage failures on, audits them and publishes nothing', async () => {
    const { store, events, audit, useCase } = setup();
    store.failWith = unavailable('storage unavailable');
    await expect(useCase.execute({ ...ref, requestedBy: 'user-1' })).rejects.toMatchObject({ kind: 'unavailable' });
    expect(events.published).toEqual([]);
    expect(audit.entries.map((e) => e.outcome)).toEqual(['failure']);
  });

  it('fails when MeetingErased cannot be published', async () => {
    const { events, erasures, useCase } = setup();
    events.failing = true;
    await expect(useCase.execute({ ...ref, requestedBy: 'user-1' })).rejects.toMatchObject({ kind: 'unavailable' });
    expect(erasures.records).toEqual([]);
  });
});
