import { invalidArgument } from '@confide/platform';

export type RetentionAction = 'archive' | 'delete';

/** ARCHITECTURE.md promise 4: 90 days, then delete, unless the tenant chose otherwise. */
export const DEFAULT_RETENTION_DAYS = 90;
export const DEFAULT_RETENTION_ACTION: RetentionAction = 'delete';
export const MAX_RETENTION_DAYS = 3650;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionPolicy {
  tenantId: string;
  days: number;
  action: RetentionAction;
  /** True when the tenant never set one (the default applies). */
  isDefault: boolean;
  updatedAtMs: number | null;
  updatedBy: string | null;
}

export function defaultRetentionPolicy(tenantId: string): RetentionPolicy {
  return { tenantId, days: DEFAULT_RETENTION_DAYS, action: DEFAULT_RETENTION_ACTION, isDefault: true, updatedAtMs: null, updatedBy: null };
}

export function parseRetention(input: { days?: number; action?: string }): { days: number; action: RetentionAction } {
  const days = input.days ?? DEFAULT_RETENTION_DAYS;
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) throw invalidArgument(`days must be between 1 and ${MAX_RETENTION_DAYS}`);
  const action = input.action ?? DEFAULT_RETENTION_ACTION;
  if (action !== 'archive' && action !== 'delete') throw invalidArgument('action must be archive or delete');
  return { days, action };
}

/** Meetings that ended at or before this time are due under the policy. */
export function retentionCutoffMs(policy: Pick<RetentionPolicy, 'days'>, nowMs: number): number {
  return nowMs - policy.days * DAY_MS;
}
