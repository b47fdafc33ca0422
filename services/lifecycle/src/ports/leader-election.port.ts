/**
 * One leader among the replicas of a scheduler (e.g. the retention sweep). The leader keeps
 * leading until it releases or its connection dies; followers keep trying.
 */
export interface LeaderElection {
  /** Tries once; true when this instance leads (already or now). */
  tryAcquire(): Promise<boolean>;
  /** True while this instance holds the leadership and its connection is alive. */
  isLeader(): Promise<boolean>;
  /** Gives up the leadership (idempotent). */
  release(): Promise<void>;
}
