import type { Participant, Report, TranscriptSegment } from '@confide/contracts';

export interface GenerateReportInput {
  meetingId: string;
  tenantId: string;
  /** Final segments of the meeting, in time order. May be empty. */
  segments: TranscriptSegment[];
  /** Who spoke, when known (speaker labels help attribute action items). */
  participants?: Participant[];
}

/**
 * Produces the end-of-meeting report (summary, action items, decisions). Adapters: the
 * built-in extractive engine ("extractive-v1"); later an OpenAI-compatible LLM endpoint.
 * Content goes only to the engine the tenant configured (ARCHITECTURE.md promise 8).
 */
export interface InsightEngine {
  /** Engine name reported in `Report.engine` and by ListAlertRules, e.g. "extractive-v1". */
  readonly name: string;
  generateReport(input: GenerateReportInput, opts?: { signal?: AbortSignal }): Promise<Report>;
}
