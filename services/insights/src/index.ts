export { createInsightsModule, insightsModuleOptions, type InsightsModuleDeps } from './insights.module';
export { insightsConfigSchema, type InsightsConfig } from './config';
export { loadAlertRulesFile, parseAlertRules } from './adapters/rules/alert-rules.file';
export { DEFAULT_ALERT_RULES, type AlertRuleDefinition, type PhraseRule, type PiiRule, type RuleSeverity } from './domain/alert-rule';
export { AlertRuleSet } from './domain/alert-rule-set';
export type { InsightEngine, GenerateReportInput } from './ports/insight-engine.port';
export { ExtractiveInsightEngine, EXTRACTIVE_ENGINE_NAME } from './adapters/extractive/extractive.insight-engine';
