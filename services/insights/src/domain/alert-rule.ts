import { PII_DETECTOR_KINDS, type PiiDetectorKind } from './pii-detectors';
import { normalizeForMatching } from './text-normalization';

/**
 * Alert rules evaluated in real time over final transcript segments.
 * - phrase rules: any of a list of phrases, matched on word boundaries, case-insensitively,
 *   on normalized text (punctuation, apostrophes and hyphens do not matter);
 * - pii rules: a personal-data detector (email, phone, credit card, US SSN).
 * The description becomes the alert message: it must describe the rule, never content.
 */
export type RuleSeverity = 'info' | 'warning' | 'critical';
export const RULE_SEVERITIES: readonly RuleSeverity[] = ['info', 'warning', 'critical'];

interface RuleBase {
  /** Stable id, e.g. "phrase.pricing-commitment" or "pii.email"; part of the alert id. */
  id: string;
  description: string;
  severity: RuleSeverity;
}

export interface PhraseRule extends RuleBase {
  kind: 'phrase';
  phrases: string[];
}

export interface PiiRule extends RuleBase {
  kind: 'pii';
  detector: PiiDetectorKind;
}

export type AlertRuleDefinition = PhraseRule | PiiRule;
export type AlertRuleKind = AlertRuleDefinition['kind'];

export const DEFAULT_ALERT_RULES: readonly AlertRuleDefinition[] = [
  {
    id: 'phrase.pricing-commitment',
    kind: 'phrase',
    severity: 'warning',
    description: 'Possible pricing or discount commitment',
    phrases: [
      'guaranteed discount',
      'we guarantee',
      'i guarantee',
      'price guarantee',
      'lock in the price',
      'lock in this price',
      'special discount just for you',
    ],
  },
  {
    id: 'phrase.legal-risk',
    kind: 'phrase',
    severity: 'critical',
    description: 'Possible legal risk: request to avoid a record',
    phrases: [
      'off the record',
      "don't put this in writing",
      'do not put this in writing',
      "don't write this down",
      'keep this between us',
      'no paper trail',
      'delete this email',
    ],
  },
  {
    id: 'phrase.confidentiality',
    kind: 'phrase',
    severity: 'warning',
    description: 'Confidential information mentioned',
    phrases: ['confidential', 'under nda', 'non disclosure agreement', 'internal only', 'trade secret'],
  },
  {
    id: 'phrase.competitor-mention',
    kind: 'phrase',
    severity: 'info',
    description: 'Competitor mentioned',
    phrases: ['competitor', 'competitors', 'competing product', 'the competition'],
  },
  { id: 'pii.email', kind: 'pii', detector: 'email', severity: 'warning', description: 'Email address shared' },
  { id: 'pii.phone', kind: 'pii', detector: 'phone', severity: 'warning', description: 'Phone number shared' },
  {
    id: 'pii.credit-card',
    kind: 'pii',
    detector: 'credit-card',
    severity: 'critical',
    description: 'Payment card number shared',
  },
  {
    id: 'pii.us-ssn',
    kind: 'pii',
    detector: 'us-ssn',
    severity: 'critical',
    description: 'US Social Security number shared',
  },
];

/** A rule set that cannot be used; the message names the rule id and the problem only. */
export class InvalidAlertRulesError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid alert rules: ${problems.join('; ')}`);
    this.name = 'InvalidAlertRulesError';
  }
}

const RULE_ID = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** Checks a rule list; throws InvalidAlertRulesError listing every problem. */
export function validateAlertRules(rules: readonly AlertRuleDefinition[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    const name = typeof rule.id === 'string' && rule.id.length > 0 ? rule.id : `#${index}`;
    if (!RULE_ID.test(rule.id ?? '')) problems.push(`${name}: id must match ${RULE_ID.source}`);
    else if (seen.has(rule.id)) problems.push(`${name}: duplicate id`);
    seen.add(rule.id);
    if (typeof rule.description !== 'string' || rule.description.trim().length === 0) {
      problems.push(`${name}: description is required`);
    }
    if (!RULE_SEVERITIES.includes(rule.severity)) problems.push(`${name}: unknown severity`);
    if (rule.kind === 'phrase') {
      if (!Array.isArray(rule.phrases) || rule.phrases.length === 0) problems.push(`${name}: phrases are required`);
      else if (rule.phrases.some((p) => normalizeForMatching(p).length === 0)) {
        problems.push(`${name}: a phrase has no words`);
      }
    } else if (rule.kind === 'pii') {
      if (!PII_DETECTOR_KINDS.includes(rule.detector)) problems.push(`${name}: unknown detector`);
    } else {
      problems.push(`${name}: unknown kind`);
    }
  });
  if (problems.length > 0) throw new InvalidAlertRulesError(problems);
}
