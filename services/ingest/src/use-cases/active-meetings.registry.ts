import type { MeetingSession } from './meeting-session';

const keyOf = (tenantId: string, meetingId: string): string => `${tenantId}/${meetingId}`;

/**
 * The meetings streaming into this ingest instance, by tenant and meeting id. The relay
 * consumer dispatches transcript and insight events to them; at most one stream per
 * meeting per instance.
 */
export class ActiveMeetings {
  private readonly sessions = new Map<string, MeetingSession>();

  /** Registers the session; false when the meeting already has an active stream here. */
  claim(session: MeetingSession): boolean {
    const key = keyOf(session.tenantId, session.meetingId);
    if (this.sessions.has(key)) return false;
    this.sessions.set(key, session);
    return true;
  }

  /** Removes the session if it is the registered one. */
  release(session: MeetingSession): void {
    const key = keyOf(session.tenantId, session.meetingId);
    if (this.sessions.get(key) === session) this.sessions.delete(key);
  }

  find(tenantId: string, meetingId: string): MeetingSession | undefined {
    return this.sessions.get(keyOf(tenantId, meetingId));
  }

  get size(): number {
    return this.sessions.size;
  }

  all(): MeetingSession[] {
    return [...this.sessions.values()];
  }
}
