import type { StaffGrant } from './policy.types';

/**
 * Support-staff grants of a tenant, as the policy's `context.grants`. The policy re-checks
 * every property (approved, not revoked, not expired, staff id, scope), so a store returns
 * the tenant's grants unfiltered. Lifecycle owns and persists them (a later issue).
 */
export interface GrantStore {
  grantsFor(tenant: string): Promise<StaffGrant[]>;
}

/** In-memory GrantStore (tests, all-in-one until lifecycle persists grants). */
export class InMemoryGrantStore implements GrantStore {
  private readonly grants: StaffGrant[] = [];

  add(...grants: StaffGrant[]): this {
    this.grants.push(...grants.map((g) => ({ ...g })));
    return this;
  }

  revoke(id: string): void {
    for (const g of this.grants) if (g.id === id) g.revoked = true;
  }

  async grantsFor(tenant: string): Promise<StaffGrant[]> {
    return this.grants.filter((g) => g.tenant === tenant).map((g) => ({ ...g }));
  }
}
