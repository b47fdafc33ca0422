import type { TopicSpec } from './event-bus.port';

/** Versioned topics, keyed by meeting id unless stated (ARCHITECTURE.md "Events"). */
export const Topics = {
  meeting: 'confide.meeting.v1',
  audio: 'confide.audio.v1',
  transcript: 'confide.transcript.v1',
  insight: 'confide.insight.v1',
  lifecycle: 'confide.lifecycle.v1',
  /** Keyed by tenant id: one ordered writer per tenant chain. */
  audit: 'confide.audit.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export const dlqTopic = (topic: string): string => `${topic}.dlq`;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/**
 * confide.audit.v1 is a transport, not the record (that is lifecycle's chain): 30 days bounds how
 * long lifecycle may be behind or down before an unconsumed entry is lost, far above any outage
 * the consumer-lag alerting lets pass (docs/adr/0014-audit-over-the-bus.md).
 */
export const AUDIT_TOPIC_RETENTION_MS = 30 * DAY_MS;

/**
 * Topic provisioning: partitions and retention. The audio topic keeps frames one hour at most;
 * the lifecycle topic keeps its MeetingErased events forever (-1): a database restore re-applies
 * the erasures from them (docs/adr/0013-restore.md); the audit topic (and its DLQ) 30 days.
 */
export const topicSpecs: TopicSpec[] = [
  { name: Topics.meeting, partitions: 6 },
  { name: Topics.audio, partitions: 6, retentionMs: HOUR_MS },
  { name: Topics.transcript, partitions: 6 },
  { name: Topics.insight, partitions: 6 },
  { name: Topics.lifecycle, partitions: 3, retentionMs: -1 },
  { name: Topics.audit, partitions: 3, retentionMs: AUDIT_TOPIC_RETENTION_MS },
  ...[Topics.meeting, Topics.audio, Topics.transcript, Topics.insight, Topics.lifecycle, Topics.audit].map((t) => ({
    name: dlqTopic(t),
    partitions: 1,
    retentionMs: t === Topics.audio ? HOUR_MS : t === Topics.audit ? AUDIT_TOPIC_RETENTION_MS : undefined,
  })),
];
