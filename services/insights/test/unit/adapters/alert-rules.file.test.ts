import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAlertRulesFile, parseAlertRules } from '../../../src/adapters/rules/alert-rules.file';

describe('alert rules file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'insights-rules-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads phrase and pii rules', async () => {
    const file = path.join(dir, 'rules.json');
    writeFileSync(
      file,
      JSON.stringify({
        rules: [
          { id: 'phrase.churn', kind: 'phrase', severity: 'warning', description: 'Churn risk', phrases: ['cancel'] },
          { id: 'pii.email', kind: 'pii', severity: 'critical', description: 'Email shared', detector: 'email' },
        ],
      }),
    );
    await expect(loadAlertRulesFile(file)).resolves.toEqual([
      { id: 'phrase.churn', kind: 'phrase', severity: 'warning', description: 'Churn risk', phrases: ['cancel'] },
      { id: 'pii.email', kind: 'pii', severity: 'critical', description: 'Email shared', detector: 'email' },
    ]);
  });

  it('rejects a malformed file naming the field, not the phrase', () => {
    expect(() =>
      parseAlertRules({ rules: [{ id: 'phrase.x', kind: 'phrase', severity: 'urgent', description: 'X', phrases: ['top secret words'] }] }),
    ).toThrow(/rules\.0\.severity/);
    expect(() =>
      parseAlertRules({ rules: [{ id: 'phrase.x', kind: 'phrase', severity: 'urgent', description: 'X', phrases: ['top secret words'] }] }),
    ).not.toThrow(/top secret/);
  });

  it('rejects duplicate rule ids', () => {
    const rule = { id: 'pii.phone', kind: 'pii', severity: 'info', description: 'Phone', detector: 'phone' };
    expect(() => parseAlertRules({ rules: [rule, rule] })).toThrow('pii.phone: duplicate id');
  });

  it('names the variable when the file cannot be read', async () => {
    await expect(loadAlertRulesFile(path.join(dir, 'missing.json'))).rejects.toThrow('INSIGHTS_RULES_FILE');
  });
});
