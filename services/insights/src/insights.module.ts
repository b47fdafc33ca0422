import { systemClock, type Clock, type EventBus, type Logger, type RpcAuthorizationDeps, type ServiceModule, type Subscription } from '@confide/platform';
import { ExtractiveInsightEngine } from './adapters/extractive/extractive.insight-engine';
import { BusInsightEventPublisher } from './adapters/events/insight-events.publisher';
import { subscribeToTranscripts, type TranscriptConsumerOptions } from './adapters/events/transcript.consumer';
import { insightsGrpcService } from './adapters/grpc/insights.grpc';
import { InMemoryTranscriptAccumulator } from './adapters/memory/in-memory.transcript-accumulator';
import { DEFAULT_ALERT_RULES, type AlertRuleDefinition } from './domain/alert-rule';
import { AlertRuleSet } from './domain/alert-rule-set';
import type { InsightsConfig } from './config';
import type { InsightEngine } from './ports/insight-engine.port';
import type { InsightEventPublisher } from './ports/insight-events.port';
import type { TranscriptAccumulator } from './ports/transcript-accumulator.port';
import { GenerateMeetingReport } from './use-cases/generate-meeting-report.use-case';
import { ListAlertRules } from './use-cases/list-alert-rules.use-case';
import { RaiseSegmentAlerts } from './use-cases/raise-segment-alerts.use-case';

export interface InsightsModuleDeps {
  logger: Logger;
  bus: EventBus;
  /** Authorizes InsightsService calls (caller service + end user); required, there is no open mode. */
  authorization: RpcAuthorizationDeps;
  /** Report engine; default the built-in extractive engine. */
  engine?: InsightEngine;
  /** Alert rules in force; default DEFAULT_ALERT_RULES. */
  rules?: readonly AlertRuleDefinition[];
  clock?: Clock;
  /** Where final segments wait for the report; default in memory (see its limits). */
  transcripts?: TranscriptAccumulator;
  /** Where alerts and reports go; default confide.insight.v1 on `bus`. */
  publisher?: InsightEventPublisher;
  /** Consumer retry settings (bus defaults otherwise). */
  consumer?: TranscriptConsumerOptions;
}

/**
 * The insights service as a module: consumes confide.transcript.v1 (group "insights"),
 * publishes alerts and reports to confide.insight.v1, serves InsightsService.
 */
export function createInsightsModule(deps: InsightsModuleDeps): ServiceModule {
  const logger = deps.logger.child({ module: 'insights' });
  const clock = deps.clock ?? systemClock;
  const rules = new AlertRuleSet(deps.rules ?? DEFAULT_ALERT_RULES);
  const engine = deps.engine ?? new ExtractiveInsightEngine();
  const transcripts = deps.transcripts ?? new InMemoryTranscriptAccumulator();
  const publisher = deps.publisher ?? new BusInsightEventPublisher(deps.bus, { clock });
  const raiseSegmentAlerts = new RaiseSegmentAlerts({ rules, publisher, transcripts, logger });
  const generateMeetingReport = new GenerateMeetingReport({ engine, publisher, transcripts, clock, logger });
  const listAlertRules = new ListAlertRules({ rules, reportEngine: engine.name });
  let subscription: Subscription | undefined;

  return {
    name: 'insights',
    grpcServices: [insightsGrpcService({ logger, listAlertRules, authorization: deps.authorization })],
    async start() {
      if (subscription !== undefined) return;
      subscription = await subscribeToTranscripts({
        bus: deps.bus,
        logger,
        raiseSegmentAlerts,
        generateMeetingReport,
        ...(deps.consumer ? { options: deps.consumer } : {}),
      });
      logger.info({ ruleCount: rules.rules.length, engine: engine.name }, 'insights started');
    },
    async stop() {
      const current = subscription;
      subscription = undefined;
      await current?.close();
    },
    async ready() {
      return subscription !== undefined;
    },
  };
}

/** Module options from the service configuration: rules (already loaded), disabled rules, engine limits. */
export function insightsModuleOptions(
  config: InsightsConfig,
  loadedRules?: readonly AlertRuleDefinition[],
): Pick<InsightsModuleDeps, 'rules' | 'engine' | 'transcripts'> {
  const disabled = new Set(config.INSIGHTS_DISABLED_RULES);
  return {
    rules: (loadedRules ?? DEFAULT_ALERT_RULES).filter((r) => !disabled.has(r.id)),
    engine: new ExtractiveInsightEngine({
      maxSummarySentences: config.INSIGHTS_SUMMARY_MAX_SENTENCES,
      maxSummaryChars: config.INSIGHTS_SUMMARY_MAX_CHARS,
    }),
    transcripts: new InMemoryTranscriptAccumulator({
      maxSegmentsPerMeeting: config.INSIGHTS_MAX_SEGMENTS_PER_MEETING,
      maxActiveMeetings: config.INSIGHTS_MAX_ACTIVE_MEETINGS,
    }),
  };
}
