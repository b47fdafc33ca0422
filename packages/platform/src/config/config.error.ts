export interface ConfigIssue {
  /** Environment variable name (or dotted path for nested schemas). */
  variable: string;
  /** What is wrong with it; never contains the value. */
  problem: string;
}

/** Invalid configuration. The message names each variable and its problem, never a value. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.problem}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}
