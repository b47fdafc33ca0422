import { unavailable, type KeyPurpose } from '@confide/platform';
import type { DataKeyShredder, TenantKeyShredder } from '../../../src/ports/data-key-shredder.port';
import type { ResumableErasureLog, ResumableErasureRecord } from '../../../src/ports/erasure-certifier.port';
import type { ErasedCounts, MeetingStore } from '../../../src/ports/meeting-store.port';
import type { ExpiredMeeting, StorageMaintenance } from '../../../src/ports/storage-maintenance.port';

/** Key registry fake: active keys per (tenant, meeting, purpose); destroy leaves a tombstone. */
export class FakeKeyRegistry implements DataKeyShredder {
  readonly active = new Set<string>();
  readonly tombstones = new Set<string>();
  readonly calls: string[] = [];
  failWith: Error | undefined;
  /** Called after each destroy (e.g. to observe the state right after crypto-erasure). */
  onDestroyed: ((ref: string) => void) | undefined;

  add(tenantId: string, meetingId: string, ...purposes: KeyPurpose[]): this {
    for (const p of purposes) this.active.add(`${tenantId}/${meetingId}/${p}`);
    return this;
  }

  async destroy(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<boolean> {
    const ref = `${tenantId}/${meetingId}/${purpose}`;
    this.calls.push(ref);
    if (this.failWith) throw this.failWith;
    const was = this.active.delete(ref);
    this.tombstones.add(ref);
    this.onDestroyed?.(ref);
    return was;
  }
}

/** Tenant-key KMS fake. */
export class FakeTenantKms implements TenantKeyShredder {
  readonly destroyed: string[] = [];
  failWith: Error | undefined;
  async destroyKey(name: string): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.destroyed.push(name);
  }
}

/** Certificate issuer fake: one certificate per erasure id; counts every signature. */
export class FakeCertificateLog implements ResumableErasureLog {
  readonly issued = new Map<string, ResumableErasureRecord>();
  signatures = 0;
  failing = false;
  async recordErasure(record: ResumableErasureRecord): Promise<{ certificateId: string }> {
    if (this.failing) throw unavailable('kms down');
    const id = record.erasure.erasureId;
    if (!this.issued.has(id)) {
      this.signatures++;
      this.issued.set(id, record);
    }
    return { certificateId: id };
  }
}

/** A MeetingStore fake whose purge can fail once after deleting (the answer is lost). */
export class FakeLossyMeetingStore implements MeetingStore {
  readonly meetings = new Map<string, Omit<ErasedCounts, 'meetings'>>();
  readonly purges: string[] = [];
  failNext: Error | undefined;
  failAfterPurgeNext: Error | undefined;

  add(tenantId: string, meetingId: string, rows: Omit<ErasedCounts, 'meetings'>): this {
    this.meetings.set(`${tenantId}/${meetingId}`, rows);
    return this;
  }

  async purgeMeeting(ref: { tenantId: string; meetingId: string }): Promise<ErasedCounts> {
    const key = `${ref.tenantId}/${ref.meetingId}`;
    this.purges.push(key);
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
    const rows = this.meetings.get(key);
    this.meetings.delete(key);
    if (this.failAfterPurgeNext) {
      const err = this.failAfterPurgeNext;
      this.failAfterPurgeNext = undefined;
      throw err;
    }
    return rows ? { meetings: 1, ...rows } : { meetings: 0, segments: 0, alerts: 0, reports: 0 };
  }
}

interface FakeMeeting {
  tenantId: string;
  meetingId: string;
  endedAtMs: number;
  archivedAtMs?: number;
  audioKeyActive: boolean;
  segmentsByTrack: Record<string, number>;
}

/** StorageMaintenance fake over an in-memory list of meetings. */
export class FakeStorageMaintenance implements StorageMaintenance {
  readonly meetings: FakeMeeting[] = [];
  readonly purgedTenants: string[] = [];
  readonly failingMeetings = new Set<string>();

  add(m: Omit<FakeMeeting, 'audioKeyActive' | 'segmentsByTrack'> & Partial<Pick<FakeMeeting, 'audioKeyActive' | 'segmentsByTrack'>>): this {
    this.meetings.push({ audioKeyActive: true, segmentsByTrack: {}, ...m });
    return this;
  }

  find(tenantId: string, meetingId: string): FakeMeeting | undefined {
    return this.meetings.find((m) => m.tenantId === tenantId && m.meetingId === meetingId);
  }

  remove(tenantId: string, meetingId: string): void {
    const i = this.meetings.findIndex((m) => m.tenantId === tenantId && m.meetingId === meetingId);
    if (i >= 0) this.meetings.splice(i, 1);
  }

  async listTenants(after: string, limit: number): Promise<string[]> {
    return [...new Set(this.meetings.map((m) => m.tenantId))].sort().filter((t) => t > after).slice(0, limit);
  }

  async listExpiredMeetings(tenantId: string, endedBeforeMs: number, limit: number, includeArchived: boolean): Promise<ExpiredMeeting[]> {
    return this.meetings
      .filter((m) => m.tenantId === tenantId && m.endedAtMs <= endedBeforeMs && (includeArchived || m.archivedAtMs === undefined))
      .sort((a, b) => a.endedAtMs - b.endedAtMs)
      .slice(0, limit)
      .map((m) => ({ meetingId: m.meetingId, endedAtMs: m.endedAtMs, ...(m.archivedAtMs !== undefined ? { archivedAtMs: m.archivedAtMs } : {}) }));
  }

  async listAudioKeysDue(tenantId: string, endedBeforeMs: number, limit: number): Promise<string[]> {
    return this.meetings
      .filter((m) => m.tenantId === tenantId && m.endedAtMs <= endedBeforeMs && m.audioKeyActive)
      .slice(0, limit)
      .map((m) => m.meetingId);
  }

  async archiveMeeting(ref: { tenantId: string; meetingId: string }): Promise<boolean> {
    if (this.failingMeetings.has(ref.meetingId)) throw unavailable('storage down');
    const m = this.find(ref.tenantId, ref.meetingId);
    if (!m || m.archivedAtMs !== undefined) return false;
    m.archivedAtMs = 1;
    return true;
  }

  async restoreMeeting(ref: { tenantId: string; meetingId: string }): Promise<boolean> {
    const m = this.find(ref.tenantId, ref.meetingId);
    if (!m || m.archivedAtMs === undefined) return false;
    delete m.archivedAtMs;
    return true;
  }

  async purgeTenant(tenantId: string) {
    this.purgedTenants.push(tenantId);
    const mine = this.meetings.filter((m) => m.tenantId === tenantId);
    for (const m of mine) this.remove(m.tenantId, m.meetingId);
    const segments = mine.reduce((n, m) => n + Object.values(m.segmentsByTrack).reduce((a, b) => a + b, 0), 0);
    return { meetings: mine.length, segments, alerts: 0, reports: 0, dataKeys: mine.length * 2 };
  }

  async purgeParticipant(tenantId: string, participantId: string) {
    let segments = 0;
    let meetingsAffected = 0;
    for (const m of this.meetings.filter((x) => x.tenantId === tenantId)) {
      const n = m.segmentsByTrack[participantId] ?? 0;
      if (n > 0) {
        meetingsAffected++;
        segments += n;
        delete m.segmentsByTrack[participantId];
      }
    }
    return { meetingsAffected, segments, alerts: 0 };
  }
}
