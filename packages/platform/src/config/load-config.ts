import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config.error';

const MIN_SCRUB_LENGTH = 3;

/** Removes any occurrence of a (non-trivial) environment value from a message, defensively. */
function scrub(problem: string, value: string | undefined): string {
  if (value === undefined || value.length < MIN_SCRUB_LENGTH) return problem;
  return problem.split(value).join('[redacted]');
}

/**
 * Validates the environment once against a zod schema (an object whose keys are variable
 * names). Throws ConfigError naming each offending variable and its problem, never the value.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((issue) => {
    const variable = issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)';
    const raw = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
    const missing = issue.path.length === 1 && raw === undefined;
    const problem = missing ? 'required' : scrub(issue.message, raw);
    return { variable, problem };
  });
  throw new ConfigError(issues);
}
