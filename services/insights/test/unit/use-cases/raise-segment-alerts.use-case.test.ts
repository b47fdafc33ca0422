import { InMemoryTranscriptAccumulator } from '../../../src/adapters/memory/in-memory.transcript-accumulator';
import { DEFAULT_ALERT_RULES } from '../../../src/domain/alert-rule';
import { AlertRuleSet } from '../../../src/domain/alert-rule-set';
import { RaiseSegmentAlerts } from '../../../src/use-cases/raise-segment-alerts.use-case';
import { FakeInsightEventPublisher, silentLogger } from '../support/fakes';
import { aSegment } from '../support/segment.builder';

function setUp() {
  const publisher = new FakeInsightEventPublisher();
  const transcripts = new InMemoryTranscriptAccumulator();
  const useCase = new RaiseSegmentAlerts({
    rules: new AlertRuleSet(DEFAULT_ALERT_RULES),
    publisher,
    transcripts,
    logger: silentLogger(),
  });
  return { publisher, transcripts, useCase };
}

describe('RaiseSegmentAlerts', () => {
  it('publishes the alerts of a final segment and accumulates it', async () => {
    const { publisher, transcripts, useCase } = setUp();
    const segment = aSegment({ text: 'this stays off the record' });
    await expect(useCase.execute({ segment })).resolves.toEqual({ outcome: 'evaluated', alerts: 1, accumulated: true });
    expect(publisher.alerts.map((a) => a.alertId)).toEqual([`${segment.segmentId}:phrase.legal-risk`]);
    expect(transcripts.get(segment.meetingId).segments).toEqual([segment]);
  });

  it('accumulates a final segment that raises no alert', async () => {
    const { publisher, transcripts, useCase } = setUp();
    const segment = aSegment({ text: 'nothing special' });
    await useCase.execute({ segment });
    expect(publisher.alerts).toEqual([]);
    expect(transcripts.has(segment.meetingId, segment.segmentId)).toBe(true);
  });

  it('ignores partial segments entirely', async () => {
    const { publisher, transcripts, useCase } = setUp();
    const segment = aSegment({ isFinal: false, text: 'this is confidential' });
    await expect(useCase.execute({ segment })).resolves.toEqual({ outcome: 'ignored-partial' });
    expect(publisher.alerts).toEqual([]);
    expect(transcripts.get(segment.meetingId).segments).toEqual([]);
  });

  it('skips a redelivered segment: no second alert, one copy in the transcript', async () => {
    const { publisher, transcripts, useCase } = setUp();
    const segment = aSegment({ text: 'this is confidential' });
    await useCase.execute({ segment });
    await expect(useCase.execute({ segment: { ...segment } })).resolves.toEqual({ outcome: 'duplicate' });
    expect(publisher.alerts).toHaveLength(1);
    expect(transcripts.get(segment.meetingId).segments).toHaveLength(1);
  });

  it('resolves only after the alerts are published', async () => {
    const { publisher, transcripts, useCase } = setUp();
    publisher.hold();
    const segment = aSegment({ text: 'this is confidential' });
    let settled = false;
    const running = useCase.execute({ segment }).then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(transcripts.has(segment.meetingId, segment.segmentId)).toBe(false);
    publisher.release();
    await running;
    expect(settled).toBe(true);
    expect(publisher.alerts).toHaveLength(1);
  });

  it('does not record a segment whose alerts failed to publish, so its redelivery publishes them', async () => {
    const { publisher, transcripts, useCase } = setUp();
    const segment = aSegment({ text: 'this is confidential' });
    publisher.failWith = new Error('bus unavailable');
    await expect(useCase.execute({ segment })).rejects.toThrow('bus unavailable');
    expect(transcripts.has(segment.meetingId, segment.segmentId)).toBe(false);
    publisher.failWith = undefined;
    await useCase.execute({ segment });
    expect(publisher.alerts.map((a) => a.ruleId)).toEqual(['phrase.confidentiality']);
  });

  it('still raises alerts for a late segment of a completed meeting but does not hold it', async () => {
    const { publisher, transcripts, useCase } = setUp();
    const segment = aSegment({ text: 'this is confidential' });
    transcripts.complete(segment.meetingId);
    await expect(useCase.execute({ segment })).resolves.toEqual({ outcome: 'evaluated', alerts: 1, accumulated: false });
    expect(publisher.alerts).toHaveLength(1);
    expect(transcripts.get(segment.meetingId).segments).toEqual([]);
  });
});
