import { AlertSeverity } from '@confide/contracts';
import { DEFAULT_ALERT_RULES, InvalidAlertRulesError, type AlertRuleDefinition } from '../../../src/domain/alert-rule';
import { AlertRuleSet } from '../../../src/domain/alert-rule-set';
import { aSegment } from '../support/segment.builder';

const rules = new AlertRuleSet(DEFAULT_ALERT_RULES);
const ruleIds = (text: string): string[] => rules.evaluate(aSegment({ text })).map((a) => a.ruleId);

describe('phrase rules', () => {
  it.each([
    ['phrase.pricing-commitment', 'And WE GUARANTEE, a discount next year.'],
    ['phrase.pricing-commitment', 'that is a guaranteed   discount for you'],
    ['phrase.legal-risk', 'Off-the-record, the numbers are bad'],
    ['phrase.legal-risk', 'just dont put this in writing'],
    ['phrase.legal-risk', 'Don’t put this in writing.'],
    ['phrase.legal-risk', 'do not put this in writing'],
    ['phrase.confidentiality', 'This is confidential.'],
    ['phrase.competitor-mention', 'their competitor is cheaper'],
  ])('%s fires on "%s"', (ruleId, text) => {
    expect(ruleIds(text)).toEqual([ruleId]);
  });

  it.each([
    'we guaranteed delivery last time',
    'the confidentiality section is standard',
    'the record shows growth',
    'put this in the writing guide',
  ])('nothing fires on word-boundary near misses: "%s"', (text) => {
    expect(ruleIds(text)).toEqual([]);
  });

  it('numbers repeated matches of one rule in one segment', () => {
    const segment = aSegment({ segmentId: 'm1:alice:7', text: 'Confidential. Really confidential, off the record.' });
    expect(rules.evaluate(segment).map((a) => a.alertId)).toEqual([
      'm1:alice:7:phrase.legal-risk',
      'm1:alice:7:phrase.confidentiality',
      'm1:alice:7:phrase.confidentiality:2',
    ]);
  });

  it('applies configured rules instead of the defaults', () => {
    const custom = new AlertRuleSet([
      { id: 'phrase.churn-risk', kind: 'phrase', severity: 'critical', description: 'Churn risk', phrases: ['cancel our contract'] },
    ]);
    const [alert, ...rest] = custom.evaluate(aSegment({ text: 'We may cancel our contract.' }));
    expect(rest).toHaveLength(0);
    expect(alert).toMatchObject({ ruleId: 'phrase.churn-risk', severity: AlertSeverity.ALERT_SEVERITY_CRITICAL, message: 'Churn risk' });
    expect(custom.evaluate(aSegment({ text: 'this is confidential' }))).toEqual([]);
  });
});

describe('personal-data rules', () => {
  it.each([
    ['pii.email', 'mail me at dana.lee@example.com'],
    ['pii.email', 'it is dana at example dot com'],
    ['pii.phone', 'call 555 867 5309'],
    ['pii.phone', 'call five five five eight six seven five three oh nine'],
    ['pii.credit-card', 'the card is 4111 1111 1111 1111'],
    ['pii.us-ssn', 'SSN 123-45-6789'],
  ])('%s fires on personal data', (ruleId, text) => {
    expect(ruleIds(text)).toEqual([ruleId]);
  });

  it('does not fire on a Luhn-invalid card number', () => {
    expect(ruleIds('the card is 4111 1111 1111 1112')).toEqual([]);
  });

  it('never puts the matched personal data in an alert', () => {
    const text =
      'Email frank.jones@example.com or frank at example dot org, call 555-867-5309, card 4111 1111 1111 1111, SSN 123-45-6789.';
    const alerts = rules.evaluate(aSegment({ segmentId: 'm1:alice:9', text }));
    expect(alerts.map((a) => a.ruleId).sort()).toEqual(['pii.credit-card', 'pii.email', 'pii.email', 'pii.phone', 'pii.us-ssn']);
    const serialized = JSON.stringify(alerts);
    for (const secret of ['frank', 'jones', 'example', '867', '5309', '4111', '6789', '123-45']) {
      expect(serialized).not.toContain(secret);
    }
    const descriptions = new Map(DEFAULT_ALERT_RULES.map((r) => [r.id, r.description]));
    for (const alert of alerts) expect(alert.message).toBe(descriptions.get(alert.ruleId));
  });
});

describe('alerts', () => {
  it('carry the segment, meeting, tenant, speaker and start, with deterministic ids', () => {
    const segment = aSegment({
      segmentId: 'm9:bob:3',
      meetingId: 'm9',
      tenantId: 't9',
      speakerLabel: 'Bob',
      startMs: 4200,
      text: 'this is confidential',
    });
    const first = rules.evaluate(segment);
    expect(first).toEqual([
      {
        alertId: 'm9:bob:3:phrase.confidentiality',
        meetingId: 'm9',
        tenantId: 't9',
        ruleId: 'phrase.confidentiality',
        severity: AlertSeverity.ALERT_SEVERITY_WARNING,
        message: 'Confidential information mentioned',
        segmentId: 'm9:bob:3',
        speakerLabel: 'Bob',
        startMs: 4200,
      },
    ]);
    expect(rules.evaluate(segment)).toEqual(first);
  });

  it('are not raised for partial segments', () => {
    expect(rules.evaluate(aSegment({ isFinal: false, text: 'this is confidential' }))).toEqual([]);
  });

  it('rule summaries expose id, description and kind but no phrases', () => {
    const summaries = rules.summaries();
    expect(summaries).toHaveLength(DEFAULT_ALERT_RULES.length);
    expect(summaries).toContainEqual({ ruleId: 'pii.email', description: 'Email address shared', kind: 'pii' });
    expect(JSON.stringify(summaries)).not.toContain('off the record');
  });
});

describe('rule validation', () => {
  const phrase = (over: Partial<AlertRuleDefinition>): AlertRuleDefinition =>
    ({ id: 'phrase.x', kind: 'phrase', severity: 'info', description: 'X', phrases: ['x'], ...over }) as AlertRuleDefinition;

  it.each([
    ['duplicate ids', [phrase({}), phrase({})], 'phrase.x: duplicate id'],
    ['no phrases', [phrase({ phrases: [] } as Partial<AlertRuleDefinition>)], 'phrase.x: phrases are required'],
    ['a phrase of punctuation only', [phrase({ phrases: ['?!'] } as Partial<AlertRuleDefinition>)], 'phrase.x: a phrase has no words'],
    ['a bad id', [phrase({ id: 'Bad Id' })], 'Bad Id: id must match'],
    ['an empty description', [phrase({ description: ' ' })], 'phrase.x: description is required'],
    ['an unknown detector', [{ id: 'pii.x', kind: 'pii', severity: 'info', description: 'X', detector: 'iban' } as unknown as AlertRuleDefinition], 'pii.x: unknown detector'],
  ])('rejects %s', (_label, list, problem) => {
    expect(() => new AlertRuleSet(list)).toThrow(InvalidAlertRulesError);
    expect(() => new AlertRuleSet(list)).toThrow(problem);
  });
});
