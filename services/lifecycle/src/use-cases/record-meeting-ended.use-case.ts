import type { Logger } from '@confide/platform';
import type { EndedMeetings } from '../ports/ended-meetings.port';

/** MeetingEnded -> remembered for the retention scheduler (a later task). */
export class RecordMeetingEnded {
  constructor(private readonly deps: { ended: EndedMeetings; logger: Logger }) {}

  async execute(input: { tenantId: string; meetingId: string; endedAtMs: number }): Promise<void> {
    if (!input.tenantId || !input.meetingId) {
      this.deps.logger.warn({ meetingId: input.meetingId }, 'meeting ended event without tenant or meeting id; ignored');
      return;
    }
    await this.deps.ended.recordEnded(input);
    this.deps.logger.debug({ tenantId: input.tenantId, meetingId: input.meetingId }, 'meeting end recorded for retention');
  }
}
