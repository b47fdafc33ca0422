import type { Participant, Report } from '@confide/contracts';
import type { GenerateReportInput, InsightEngine } from '../../ports/insight-engine.port';
import { extractActionItems } from './action-item.extractor';
import { extractDecisions } from './decision.extractor';
import { summarize } from './summary.scorer';
import { splitSentences } from './transcript-sentences';

export const EXTRACTIVE_ENGINE_NAME = 'extractive-v1';

export interface ExtractiveEngineOptions {
  /** Most sentences in the summary; default 5. */
  maxSummarySentences?: number;
  /** Most characters in the summary; default 1200. */
  maxSummaryChars?: number;
  /** Most action items and decisions each; default 50. */
  maxItems?: number;
}

/**
 * The built-in engine: no model, no network, content never leaves the process. Summary by
 * sentence scoring, action items and decisions by phrase patterns. Same input, same report
 * (generatedAtUnixMs is left 0 for the caller to stamp).
 */
export class ExtractiveInsightEngine implements InsightEngine {
  readonly name = EXTRACTIVE_ENGINE_NAME;
  private readonly maxSummarySentences: number;
  private readonly maxSummaryChars: number;
  private readonly maxItems: number;

  constructor(opts: ExtractiveEngineOptions = {}) {
    this.maxSummarySentences = opts.maxSummarySentences ?? 5;
    this.maxSummaryChars = opts.maxSummaryChars ?? 1200;
    this.maxItems = opts.maxItems ?? 50;
  }

  async generateReport(input: GenerateReportInput): Promise<Report> {
    const sentences = splitSentences(input.segments.filter((s) => s.isFinal));
    const participants: Participant[] = [
      ...(input.participants ?? []),
      ...input.segments.map((s) => ({ id: s.trackId, speakerLabel: s.speakerLabel })),
    ];
    return {
      meetingId: input.meetingId,
      tenantId: input.tenantId,
      summary: summarize(sentences, { maxSentences: this.maxSummarySentences, maxChars: this.maxSummaryChars }),
      actionItems: extractActionItems(sentences, participants, this.maxItems),
      decisions: extractDecisions(sentences, this.maxItems),
      engine: this.name,
      generatedAtUnixMs: 0,
    };
  }
}
