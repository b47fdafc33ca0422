import { ExtractiveInsightEngine } from '../../../src/adapters/extractive/extractive.insight-engine';
import { InMemoryTranscriptAccumulator } from '../../../src/adapters/memory/in-memory.transcript-accumulator';
import type { InsightEngine } from '../../../src/ports/insight-engine.port';
import { GenerateMeetingReport } from '../../../src/use-cases/generate-meeting-report.use-case';
import { FakeInsightEngine, FakeInsightEventPublisher, fixedClock, silentLogger } from '../support/fakes';
import { aSegment } from '../support/segment.builder';

function setUp(engine: InsightEngine = new FakeInsightEngine()) {
  const publisher = new FakeInsightEventPublisher();
  const transcripts = new InMemoryTranscriptAccumulator();
  const useCase = new GenerateMeetingReport({ engine, publisher, transcripts, clock: fixedClock(1_700_000_000_000), logger: silentLogger() });
  return { engine, publisher, transcripts, useCase };
}

describe('GenerateMeetingReport', () => {
  it('reports on the accumulated segments in time order, publishes, then drops the meeting', async () => {
    const engine = new FakeInsightEngine();
    const { publisher, transcripts, useCase } = setUp(engine);
    const late = aSegment({ meetingId: 'm1', startMs: 9000 });
    const early = aSegment({ meetingId: 'm1', startMs: 1000 });
    transcripts.add(late);
    transcripts.add(early);
    const result = await useCase.execute({ meetingId: 'm1', tenantId: 'tenant-1', finalSegmentCount: 2 });
    expect(result.outcome).toBe('published');
    expect(engine.inputs[0]?.segments).toEqual([early, late]);
    expect(publisher.reports).toEqual([
      {
        meetingId: 'm1',
        tenantId: 'tenant-1',
        summary: '2 segments',
        actionItems: [],
        decisions: [],
        engine: 'fake-engine',
        generatedAtUnixMs: 1_700_000_000_000,
      },
    ]);
    expect(transcripts.get('m1').segments).toEqual([]);
    expect(transcripts.isCompleted('m1')).toBe(true);
  });

  it('ignores a redelivered completion once the report is out', async () => {
    const { publisher, transcripts, useCase } = setUp();
    transcripts.add(aSegment({ meetingId: 'm1' }));
    await useCase.execute({ meetingId: 'm1', tenantId: 'tenant-1', finalSegmentCount: 1 });
    await expect(useCase.execute({ meetingId: 'm1', tenantId: 'tenant-1', finalSegmentCount: 1 })).resolves.toEqual({
      outcome: 'already-completed',
    });
    expect(publisher.reports).toHaveLength(1);
  });

  it('publishes a "no speech" report for a meeting without final segments', async () => {
    const { publisher, useCase } = setUp(new ExtractiveInsightEngine());
    await useCase.execute({ meetingId: 'm2', tenantId: 'tenant-1', finalSegmentCount: 0 });
    expect(publisher.reports[0]?.summary).toBe('No speech was transcribed in this meeting.');
    expect(publisher.reports[0]?.engine).toBe('extractive-v1');
  });

  it('does not publish a false "no speech" report when the accumulated transcript was lost', async () => {
    const { publisher, useCase } = setUp();
    await expect(useCase.execute({ meetingId: 'm3', tenantId: 'tenant-1', finalSegmentCount: 4 })).resolves.toEqual({
      outcome: 'transcript-lost',
      expectedSegments: 4,
    });
    expect(publisher.reports).toEqual([]);
  });

  it('keeps the meeting when publishing fails, so a redelivery can report it', async () => {
    const { publisher, transcripts, useCase } = setUp();
    transcripts.add(aSegment({ meetingId: 'm4' }));
    publisher.failWith = new Error('bus unavailable');
    await expect(useCase.execute({ meetingId: 'm4', tenantId: 'tenant-1', finalSegmentCount: 1 })).rejects.toThrow('bus unavailable');
    expect(transcripts.isCompleted('m4')).toBe(false);
    publisher.failWith = undefined;
    await useCase.execute({ meetingId: 'm4', tenantId: 'tenant-1', finalSegmentCount: 1 });
    expect(publisher.reports.map((r) => r.summary)).toEqual(['1 segments']);
  });
});
