export interface MeetingErasedNotice {
  tenantId: string;
  meetingId: string;
  requestedBy: string;
  erasedAtMs: number;
}

/** Publishes MeetingErasedEvent to confide.lifecycle.v1; resolves once the bus accepted it. */
export interface ErasureEventPublisher {
  meetingErased(notice: MeetingErasedNotice): Promise<void>;
}
