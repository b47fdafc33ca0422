import { unavailable } from '@confide/platform';
import type { AuditEntry, AuditLog } from '../../../src/ports/audit-log.port';
import type { ErasureEventPublisher, MeetingErasedNotice } from '../../../src/ports/erasure-events.port';
import type { ErasureLog, ErasureRecord } from '../../../src/ports/erasure-log.port';
import type { ErasedCounts, MeetingStore } from '../../../src/ports/meeting-store.port';

const key = (ref: { tenantId: string; meetingId: string }): string => `${ref.tenantId}/${ref.meetingId}`;

/** Stored meetings with row counts; purge removes them (a second purge finds nothing). */
export class FakeMeetingStore implements MeetingStore {
  readonly meetings = new Map<string, Omit<ErasedCounts, 'meetings'>>();
  readonly purges: Array<{ tenantId: string; meetingId: string }> = [];
  failWith: Error | undefined;

  add(ref: { tenantId: string; meetingId: string }, rows: Omit<ErasedCounts, 'meetings'>): this {
    this.meetings.set(key(ref), rows);
    return this;
  }

  async purgeMeeting(ref: { tenantId: string; meetingId: string }): Promise<ErasedCounts> {
    this.purges.push({ ...ref });
    if (this.failWith) throw this.failWith;
    const rows = this.meetings.get(key(ref));
    this.meetings.delete(key(ref));
    return rows ? { meetings: 1, ...rows } : { meetings: 0, segments: 0, alerts: 0, reports: 0 };
  }
}

export class FakeErasureEvents implements ErasureEventPublisher {
  readonly published: MeetingErasedNotice[] = [];
  failing = false;
  async meetingErased(notice: MeetingErasedNotice): Promise<void> {
    if (this.failing) throw unavailable('bus down');
    this.published.push({ ...notice });
  }
}

export class FakeErasureLog implements ErasureLog {
  readonly records: ErasureRecord[] = [];
  async recordErasure(record: ErasureRecord): Promise<void> {
    this.records.push(record);
  }
}

export class FakeAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];
  async append(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }
}
