import type { StaffGrantRecord } from '../domain/staff-grant';

export type GrantDecision =
  | { kind: 'approve'; by: string; atMs: number; expiresAtMs: number }
  | { kind: 'deny'; by: string; atMs: number }
  | { kind: 'revoke'; by: string; atMs: number };

/** Stored staff-access grants of a tenant (the use cases hold the rules). */
export interface StaffGrantRepository {
  insert(grant: StaffGrantRecord): Promise<void>;
  get(tenantId: string, grantId: string): Promise<StaffGrantRecord | undefined>;
  /**
   * Applies a decision only if the grant is still in the state it was read in: approve/deny
   * need it pending (not approved, denied or revoked), revoke needs it neither denied nor
   * revoked. Returns the updated grant, or undefined when another decision came first.
   */
  decide(tenantId: string, grantId: string, decision: GrantDecision): Promise<StaffGrantRecord | undefined>;
  /** Newest first. */
  list(tenantId: string, filter?: { staffId?: string }): Promise<StaffGrantRecord[]>;
}
