import { EventRouter, Events, Topics, type EventBus, type Logger, type Subscription } from '@confide/platform';
import type { TranscribeMeetingAudio } from '../../use-cases/transcribe-meeting-audio.use-case';

export const TRANSCRIPTION_GROUP_ID = 'transcription';

/** Subscribes the use case to confide.meeting.v1 and confide.audio.v1 (group `transcription`). */
export function subscribeTranscription(opts: {
  bus: EventBus;
  useCase: TranscribeMeetingAudio;
  logger: Logger;
}): Promise<Subscription> {
  const router = new EventRouter(opts.logger)
    .on(Events.AudioFrameReceived, (frame) => opts.useCase.onAudioFrame(frame))
    .on(Events.MeetingEnded, (ended) => opts.useCase.onMeetingEnded(ended));
  return opts.bus.subscribe({
    groupId: TRANSCRIPTION_GROUP_ID,
    topics: [Topics.meeting, Topics.audio],
    handler: router.handler,
  });
}
