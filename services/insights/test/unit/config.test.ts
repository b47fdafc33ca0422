import { ConfigError, loadConfig } from '@confide/platform';
import { insightsConfigSchema, insightsModuleOptions } from '../../src';

describe('insights configuration', () => {
  it('has working defaults', () => {
    expect(loadConfig(insightsConfigSchema, {})).toEqual({
      GRPC_ADDR: '127.0.0.1:50054',
      LOG_LEVEL: 'info',
      EVENT_BUS: 'kafka',
      INSIGHTS_DISABLED_RULES: [],
      INSIGHTS_SUMMARY_MAX_SENTENCES: 5,
      INSIGHTS_SUMMARY_MAX_CHARS: 1200,
      INSIGHTS_MAX_SEGMENTS_PER_MEETING: 10_000,
      INSIGHTS_MAX_ACTIVE_MEETINGS: 1_000,
    });
  });

  it('names the offending variable without echoing its value', () => {
    let error: unknown;
    try {
      loadConfig(insightsConfigSchema, { INSIGHTS_SUMMARY_MAX_CHARS: 'lots-and-lots' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('INSIGHTS_SUMMARY_MAX_CHARS');
    expect(message).not.toContain('lots-and-lots');
    // A plaintext listener beyond loopback is refused (it needs TLS_CERT_FILE and TLS_KEY_FILE).
    expect(() => loadConfig(insightsConfigSchema, { GRPC_ADDR: '0.0.0.0:50054' })).toThrow(/GRPC_ADDR: host must be loopback unless TLS is configured/);
    expect(() => loadConfig(insightsConfigSchema, { GRPC_ADDR: '0.0.0.0:50054' })).not.toThrow(/0\.0\.0\.0/);
  });

  it('switches off disabled rules', () => {
    const config = loadConfig(insightsConfigSchema, { INSIGHTS_DISABLED_RULES: 'phrase.competitor-mention, pii.phone' });
    const ids = insightsModuleOptions(config).rules?.map((r) => r.id);
    expect(ids).not.toContain('phrase.competitor-mention');
    expect(ids).not.toContain('pii.phone');
    expect(ids).toContain('pii.email');
  });
});
