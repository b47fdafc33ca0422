import { AlertSeverity, type Alert, type TranscriptSegment } from '@confide/contracts';
import {
  validateAlertRules,
  type AlertRuleDefinition,
  type AlertRuleKind,
  type RuleSeverity,
} from './alert-rule';
import { detectDigitIdentifiers, detectEmails, type DigitIdentifiers, type PiiMatch } from './pii-detectors';
import { findTokenSequence, matchingTokens, nonOverlapping } from './text-normalization';

const SEVERITY: Record<RuleSeverity, AlertSeverity> = {
  info: AlertSeverity.ALERT_SEVERITY_INFO,
  warning: AlertSeverity.ALERT_SEVERITY_WARNING,
  critical: AlertSeverity.ALERT_SEVERITY_CRITICAL,
};

/** What a rule set exposes about a rule (ListAlertRules): never its phrases. */
export interface AlertRuleSummary {
  ruleId: string;
  description: string;
  kind: AlertRuleKind;
}

/** Text features computed once per segment and shared by the rules. */
interface SegmentFeatures {
  tokens: string[];
  emails?: PiiMatch[];
  digits?: DigitIdentifiers;
}

type CompiledRule = { definition: AlertRuleDefinition; matches: (f: SegmentFeatures, text: string) => number };

/**
 * The rules in force, compiled once. `evaluate` turns a final segment into alerts with
 * deterministic ids: `<segmentId>:<ruleId>` for a rule's first match in the segment, then
 * `<segmentId>:<ruleId>:2`, `:3`... so a redelivered segment yields the same alerts.
 */
export class AlertRuleSet {
  private readonly compiled: CompiledRule[];

  constructor(rules: readonly AlertRuleDefinition[]) {
    validateAlertRules(rules);
    this.compiled = rules.map((definition) => ({ definition, matches: compile(definition) }));
  }

  get rules(): AlertRuleDefinition[] {
    return this.compiled.map((c) => c.definition);
  }

  summaries(): AlertRuleSummary[] {
    return this.compiled.map(({ definition }) => ({
      ruleId: definition.id,
      description: definition.description,
      kind: definition.kind,
    }));
  }

  /** Alerts raised by one final segment, in rule order. Partial segments raise nothing. */
  evaluate(segment: TranscriptSegment): Alert[] {
    if (!segment.isFinal || segment.text.trim().length === 0) return [];
    const features: SegmentFeatures = { tokens: matchingTokens(segment.text) };
    const alerts: Alert[] = [];
    for (const { definition, matches } of this.compiled) {
      const count = matches(features, segment.text);
      for (let n = 1; n <= count; n += 1) {
        const base = `${segment.segmentId}:${definition.id}`;
        alerts.push({
          alertId: n === 1 ? base : `${base}:${n}`,
          meetingId: segment.meetingId,
          tenantId: segment.tenantId,
          ruleId: definition.id,
          severity: SEVERITY[definition.severity],
          message: definition.description,
          segmentId: segment.segmentId,
          speakerLabel: segment.speakerLabel,
          startMs: segment.startMs,
        });
      }
    }
    return alerts;
  }
}

function compile(rule: AlertRuleDefinition): CompiledRule['matches'] {
  if (rule.kind === 'phrase') {
    const phrases = rule.phrases.map((p) => matchingTokens(p));
    return (features) => nonOverlapping(phrases.flatMap((p) => findTokenSequence(features.tokens, p))).length;
  }
  switch (rule.detector) {
    case 'email':
      return (features, text) => (features.emails ??= detectEmails(text)).length;
    case 'phone':
      return (features, text) => (features.digits ??= detectDigitIdentifiers(text)).phone.length;
    case 'credit-card':
      return (features, text) => (features.digits ??= detectDigitIdentifiers(text)).creditCard.length;
    case 'us-ssn':
      return (features, text) => (features.digits ??= detectDigitIdentifiers(text)).ssn.length;
  }
}
