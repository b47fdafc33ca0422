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

export interface UserDataErasedNotice {
  tenantId: string;
  userId: string;
  requestedBy: string;
  erasedAtMs: number;
  /** The erasure's (and its certificate's) id. */
  erasureId: string;
}

/**
 * Publishes UserDataErasedEvent to confide.lifecycle.v1 (the tombstone a database restore
 * re-applies, ADR 0013); resolves once the bus accepted it.
 */
export interface UserErasureEventPublisher {
  userDataErased(notice: UserDataErasedNotice): Promise<void>;
}
