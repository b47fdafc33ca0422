import { AlertSeverity, type Alert, type Report, type TranscriptSegment } from '@confide/contracts';

export function segment(overrides: Partial<TranscriptSegment> & { meetingId: string; tenantId: string; sequence: number }): TranscriptSegment {
  const trackId = overrides.trackId ?? 'p1';
  return {
    segmentId: `${overrides.meetingId}:${trackId}:${overrides.sequence}`,
    trackId,
    speakerLabel: 'Speaker 1',
    text: `utterance ${overrides.sequence}`,
    startMs: overrides.sequence * 1000,
    endMs: overrides.sequence * 1000 + 900,
    isFinal: true,
    confidence: 0.9,
    ...overrides,
  };
}

export function alert(overrides: Partial<Alert> & { meetingId: string; tenantId: string; segmentId: string }): Alert {
  return {
    alertId: `${overrides.segmentId}:phrase.pricing-commitment`,
    ruleId: 'phrase.pricing-commitment',
    severity: AlertSeverity.ALERT_SEVERITY_WARNING,
    message: 'pricing commitment mentioned',
    speakerLabel: 'Speaker 1',
    startMs: 1000,
    ...overrides,
  };
}

export function report(overrides: Partial<Report> & { meetingId: string; tenantId: string }): Report {
  return {
    summary: 'We agreed on the rollout.',
    actionItems: [{ text: 'Send the contract', owner: 'Alice', segmentId: `${overrides.meetingId}:p1:1` }],
    decisions: [{ text: 'Roll out in May', segmentId: `${overrides.meetingId}:p1:2` }],
    engine: 'extractive-v1',
    generatedAtUnixMs: 1_700_000_100_000,
    ...overrides,
  };
}
