import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { validateAlertRules, type AlertRuleDefinition } from '../../domain/alert-rule';
import { PII_DETECTOR_KINDS } from '../../domain/pii-detectors';

const base = {
  id: z.string().min(1),
  description: z.string().min(1),
  severity: z.enum(['info', 'warning', 'critical']),
};

/** The rules file: `{ "rules": [ { "id", "kind": "phrase", "phrases": [...], ... } | { ..., "kind": "pii", "detector" } ] }`. */
export const alertRulesFileSchema = z.object({
  rules: z.array(
    z.discriminatedUnion('kind', [
      z.object({ ...base, kind: z.literal('phrase'), phrases: z.array(z.string().min(1)).min(1) }),
      z.object({ ...base, kind: z.literal('pii'), detector: z.enum(PII_DETECTOR_KINDS as [string, ...string[]]) }),
    ]),
  ),
});

/** Parses and validates rules; errors name the rule position and field, never phrase text. */
export function parseAlertRules(json: unknown): AlertRuleDefinition[] {
  const parsed = alertRulesFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.code}`);
    throw new Error(`invalid alert rules file: ${problems.join('; ')}`);
  }
  const rules = parsed.data.rules as AlertRuleDefinition[];
  validateAlertRules(rules);
  return rules;
}

export async function loadAlertRulesFile(path: string): Promise<AlertRuleDefinition[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read alert rules file (INSIGHTS_RULES_FILE): ${(err as Error).name}`, { cause: err });
  }
  return parseAlertRules(json);
}
