import type * as grpc from '@grpc/grpc-js';
import { AccessGrantScope, AccessGrantServiceClient, type ListActiveGrantsForPolicyResponse, type PolicyGrant } from '@confide/contracts';
import { LRUCache } from 'lru-cache';
import { callUnary, createGrpcClient } from '../grpc/grpc.client';
import { subjectAssertionMetadata } from '../identity/service.identity';
import type { SubjectAssertionSigner } from '../identity/subject.assertion';
import type { GrantStore } from './grant.store';
import type { StaffGrant } from './policy.types';

export const DEFAULT_GRANT_CACHE_TTL_MS = 5000;

export interface GrpcGrantStoreOptions {
  /** The calling service's identity (gateway or storage): the RPC is service-only. */
  signer: Pick<SubjectAssertionSigner, 'sign'>;
  credentials?: grpc.ChannelCredentials;
  deadlineMs?: number;
  /**
   * How long a tenant's grants are reused (default 5 s). A revocation or expiry takes effect at
   * most this late for reads decided here; the policy still checks `expires_at` against the
   * request's own time, so an expired grant never allows anything.
   */
  ttlMs?: number;
  /** Tenants kept in the cache (default 1000). */
  maxTenants?: number;
}

function toStaffGrant(g: PolicyGrant): StaffGrant {
  return {
    id: g.grantId,
    tenant: g.tenantId,
    staff_id: g.staffId,
    scope: g.scope === AccessGrantScope.ACCESS_GRANT_SCOPE_MEETING ? 'meeting' : 'tenant',
    meeting: g.meetingId,
    reason: g.reason,
    approved_by: g.approvedBy,
    approved_at: g.approvedAtUnixMs,
    expires_at: g.expiresAtUnixMs,
    revoked: g.revoked,
  };
}

/**
 * Microservices mode: the policy's `context.grants` from lifecycle's staff-grant store over
 * `AccessGrantService.ListActiveGrantsForPolicy` (service-only, signed as the calling service),
 * cached per tenant for a few seconds; concurrent misses of a tenant share one call. A failure
 * rejects (the staff read is then refused, never allowed on stale or missing data) and is not
 * cached. Only staff subjects ever ask for grants.
 */
export class GrpcGrantStore implements GrantStore {
  private readonly client: AccessGrantServiceClient;
  private readonly cache: LRUCache<string, StaffGrant[]>;
  private readonly pending = new Map<string, Promise<StaffGrant[]>>();

  constructor(
    address: string,
    private readonly opts: GrpcGrantStoreOptions,
  ) {
    this.client = createGrpcClient(AccessGrantServiceClient, address, { ...(opts.credentials ? { credentials: opts.credentials } : {}) });
    this.cache = new LRUCache<string, StaffGrant[]>({ max: opts.maxTenants ?? 1000, ttl: opts.ttlMs ?? DEFAULT_GRANT_CACHE_TTL_MS });
  }

  async grantsFor(tenant: string): Promise<StaffGrant[]> {
    const cached = this.cache.get(tenant);
    if (cached) return cached.map((g) => ({ ...g }));
    let load = this.pending.get(tenant);
    if (!load) {
      load = this.load(tenant).finally(() => this.pending.delete(tenant));
      this.pending.set(tenant, load);
    }
    return (await load).map((g) => ({ ...g }));
  }

  close(): void {
    this.client.close();
  }

  private async load(tenant: string): Promise<StaffGrant[]> {
    const res = await callUnary<object, ListActiveGrantsForPolicyResponse>(
      this.client,
      'listActiveGrantsForPolicy',
      { tenantId: tenant },
      { deadlineMs: this.opts.deadlineMs ?? 3000, metadata: subjectAssertionMetadata(await this.opts.signer.sign()) },
    );
    const grants = res.grants.map(toStaffGrant);
    this.cache.set(tenant, grants);
    return grants;
  }
}
