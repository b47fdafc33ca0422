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

/**
 * Topic provisioning: partitions and retention. The audio topic keeps frames one hour at most;
 * the lifecycle topic keeps its MeetingErased events forever (-1): a database restore re-applies
 * the erasures from them (docs/adr/0013-restore.md).
 */
export const topicSpecs: TopicSpec[] = [
  { name: Topics.meeting, partitions: 6 },
  { name: Topics.audio, partitions: 6, retentionMs: HOUR_MS },
  { name: Topics.transcript, partitions: 6 },
  { name: Topics.insight, partitions: 6 },
  { name: Topics.lifecycle, partitions: 3, retentionMs: -1 },
  { name: Topics.audit, partitions: 3 },
  ...[Topics.meeting, Topics.audio, Topics.transcript, Topics.insight, Topics.lifecycle, Topics.audit].map((t) => ({
    name: dlqTopic(t),
    partitions: 1,
    retentionMs: t === Topics.audio ? HOUR_MS : undefined,
  })),
];
