import { MeetingStatus } from '@confide/contracts';

/**
 * Stored meeting status. Statuses only move forward (placeholder < active < ended <
 * transcribed) because events of one meeting arrive on several topics in no mutual order:
 * a late MeetingStarted must not turn an ended meeting back into an active one. The stored
 * value is the rank below; the database keeps the greatest.
 */
export const StatusRank = {
  /** Created by a segment/alert/report that arrived before MeetingStarted. */
  placeholder: 0,
  active: 1,
  ended: 2,
  transcribed: 3,
} as const;

export type StatusRankValue = (typeof StatusRank)[keyof typeof StatusRank];

export function statusToProto(rank: number): MeetingStatus {
  switch (rank) {
    case StatusRank.active:
      return MeetingStatus.MEETING_STATUS_ACTIVE;
    case StatusRank.ended:
      return MeetingStatus.MEETING_STATUS_ENDED;
    case StatusRank.transcribed:
      return MeetingStatus.MEETING_STATUS_TRANSCRIBED;
    default:
      return MeetingStatus.MEETING_STATUS_UNSPECIFIED;
  }
}

/** The later of two statuses. */
export function laterStatus(a: StatusRankValue, b: StatusRankValue): StatusRankValue {
  return a >= b ? a : b;
}
