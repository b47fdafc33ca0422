import type { AlertRuleSet, AlertRuleSummary } from '../domain/alert-rule-set';

export interface ListAlertRulesResult {
  rules: AlertRuleSummary[];
  reportEngine: string;
}

/** The rules in force and the report engine. Rules are the same for every tenant today. */
export class ListAlertRules {
  constructor(private readonly deps: { rules: AlertRuleSet; reportEngine: string }) {}

  async execute(_input: { tenantId: string }): Promise<ListAlertRulesResult> {
    return { rules: this.deps.rules.summaries(), reportEngine: this.deps.reportEngine };
  }
}
