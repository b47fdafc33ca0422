import type { RetentionAction, RetentionPolicy } from '../domain/retention-policy';

export interface RetentionPolicyRepository {
  /** The tenant's policy, or the default (90 days, delete) when it never set one. */
  get(tenantId: string): Promise<RetentionPolicy>;
  set(tenantId: string, policy: { days: number; action: RetentionAction }, by: { actor: string; atMs: number }): Promise<RetentionPolicy>;
  /** Back to the default; true if a stored policy was removed. */
  reset(tenantId: string): Promise<boolean>;
}
