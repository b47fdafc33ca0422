import type { StartedMeeting } from '../domain/meeting-stream';

/**
 * Who may stream a meeting's audio (policy action `meeting:stream`). Called once per
 * StreamMeeting call, after the start message was validated and before anything about the
 * meeting is published: a refusal publishes nothing.
 */
export interface StreamAccess {
  /**
   * Resolves when the holder of `bearerToken` may stream `meeting`. Rejects with an AppError:
   * `unauthenticated` (no token, or not a valid token of the configured issuer),
   * `permission-denied` (the policy denied; reveals nothing about the meeting), or
   * `unavailable` (the decision could not be audited: fail closed).
   */
  authorize(bearerToken: string | undefined, meeting: StartedMeeting): Promise<void>;
}
