import type { EndedMeeting, EndedMeetings } from '../../ports/ended-meetings.port';

/**
 * Ended meetings in memory, until the retention task stores them in Postgres. Lost on
 * restart; bounded (the oldest entry is dropped beyond `maxEntries`). Redeliveries collapse.
 */
export class InMemoryEndedMeetings implements EndedMeetings {
  private readonly entries = new Map<string, EndedMeeting>();

  constructor(private readonly maxEntries = 100_000) {}

  async recordEnded(meeting: EndedMeeting): Promise<void> {
    const key = keyOf(meeting);
    this.entries.delete(key);
    this.entries.set(key, { ...meeting });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  async forget(ref: { tenantId: string; meetingId: string }): Promise<void> {
    this.entries.delete(keyOf(ref));
  }

  async endedBefore(cutoffMs: number, limit: number): Promise<EndedMeeting[]> {
    return [...this.entries.values()]
      .filter((m) => m.endedAtMs <= cutoffMs)
      .sort((a, b) => a.endedAtMs - b.endedAtMs)
      .slice(0, limit)
      .map((m) => ({ ...m }));
  }

  get size(): number {
    return this.entries.size;
  }
}

const keyOf = (ref: { tenantId: string; meetingId: string }): string => JSON.stringify([ref.tenantId, ref.meetingId]);
