import type { TranscriptSegment } from '@confide/contracts';
import { ExtractiveInsightEngine } from '../../../src/adapters/extractive/extractive.insight-engine';
import { NO_SPEECH_SUMMARY } from '../../../src/adapters/extractive/summary.scorer';
import { aSegment } from '../support/segment.builder';

const line = (n: number, speakerLabel: string, text: string): TranscriptSegment =>
  aSegment({
    segmentId: `m1:${speakerLabel.toLowerCase()}:${n}`,
    meetingId: 'm1',
    trackId: speakerLabel.toLowerCase(),
    speakerLabel,
    text,
    startMs: n * 5000,
    endMs: n * 5000 + 4000,
  });

const transcript: TranscriptSegment[] = [
  line(1, 'Alice', 'Thanks everyone for joining the quarterly budget review.'),
  line(2, 'Bob', 'The marketing budget is over by ten percent this quarter because of the conference spend.'),
  line(3, 'Carol', 'We decided to cut the conference budget for next quarter.'),
  line(4, 'Alice', "I'll send the revised budget spreadsheet to finance by Friday."),
  line(5, 'Bob', 'Carol will follow up with the vendor about the contract renewal.'),
  line(6, 'Carol', "Let's go with the cheaper vendor for the booth."),
  line(7, 'Bob', 'Okay.'),
  line(8, 'Alice', 'Can you send the slides?'),
  line(9, 'Bob', 'The vendor contract renewal is the biggest risk for the conference budget. We have not agreed on a date yet.'),
];

const engine = new ExtractiveInsightEngine();
const generate = (segments: TranscriptSegment[]) => engine.generateReport({ meetingId: 'm1', tenantId: 'tenant-1', segments });

describe('ExtractiveInsightEngine', () => {
  it('is named extractive-v1 and reports for the meeting', async () => {
    const report = await generate(transcript);
    expect(engine.name).toBe('extractive-v1');
    expect(report).toMatchObject({ meetingId: 'm1', tenantId: 'tenant-1', engine: 'extractive-v1' });
  });

  it('extracts action items with owners: the speaker for "I", a named participant otherwise', async () => {
    const report = await generate(transcript);
    expect(report.actionItems).toEqual([
      { text: "I'll send the revised budget spreadsheet to finance by Friday.", owner: 'Alice', segmentId: 'm1:alice:4' },
      { text: 'Carol will follow up with the vendor about the contract renewal.', owner: 'Carol', segmentId: 'm1:bob:5' },
    ]);
  });

  it('extracts decisions, leaving out negated ones', async () => {
    const report = await generate(transcript);
    expect(report.decisions).toEqual([
      { text: 'We decided to cut the conference budget for next quarter.', segmentId: 'm1:carol:3' },
      { text: "Let's go with the cheaper vendor for the booth.", segmentId: 'm1:carol:6' },
    ]);
  });

  it('summarizes with sentences of the meeting, in time order, within the length cap', async () => {
    const report = await generate(transcript);
    expect(report.summary.length).toBeGreaterThan(0);
    expect(report.summary.length).toBeLessThanOrEqual(1200);
    const allSentences = transcript.flatMap((s) => s.text.split(/(?<=[.!?])\s+/));
    const positions = allSentences.map((s) => report.summary.indexOf(s)).filter((p) => p >= 0);
    expect(positions.length).toBeGreaterThanOrEqual(2);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(report.summary).not.toContain('Okay.');
    expect(report.summary).toContain('conference budget');
  });

  it('keeps the summary within a small cap, cutting a single long sentence at a word', async () => {
    const small = new ExtractiveInsightEngine({ maxSummaryChars: 40, maxSummarySentences: 3 });
    const report = await small.generateReport({ meetingId: 'm1', tenantId: 't', segments: transcript });
    expect(report.summary.length).toBeLessThanOrEqual(40);
    expect(report.summary.length).toBeGreaterThan(0);
  });

  it('is deterministic and independent of arrival order', async () => {
    const first = await generate(transcript);
    const shuffled = await generate([...transcript].reverse());
    expect(shuffled).toEqual(first);
  });

  it('says no speech was transcribed when there are no segments', async () => {
    const report = await generate([]);
    expect(report.summary).toBe(NO_SPEECH_SUMMARY);
    expect(report.actionItems).toEqual([]);
    expect(report.decisions).toEqual([]);
  });

  it('names the owner written in the sentence when speakers are unlabelled', async () => {
    const report = await generate([
      line(1, 'Speaker 1', 'Bob will send the contract to legal.'),
      line(2, 'Speaker 2', 'Friday will be busy for everyone, I will follow up with finance.'),
      line(3, 'Speaker 1', 'You need to review the draft.'),
    ]);
    expect(report.actionItems.map((a) => a.owner)).toEqual(['Bob', 'Speaker 2', '']);
  });

  it('attributes to a participant named by first name, case-insensitively (lower-case transcripts)', async () => {
    const report = await engine.generateReport({
      meetingId: 'm1',
      tenantId: 't',
      segments: [line(1, 'Speaker 1', 'dana is going to send the invoice tomorrow')],
      participants: [{ id: 'dana', speakerLabel: 'Dana Scully' }],
    });
    expect(report.actionItems).toEqual([
      { text: 'dana is going to send the invoice tomorrow', owner: 'Dana Scully', segmentId: 'm1:speaker 1:1' },
    ]);
  });

  it('ignores partial segments', async () => {
    const report = await generate([{ ...line(1, 'Alice', 'I will send the notes.'), isFinal: false }]);
    expect(report.actionItems).toEqual([]);
    expect(report.summary).toBe(NO_SPEECH_SUMMARY);
  });
});
