import { AccessGrantScope, AccessGrantServiceService, type AccessGrantServiceServer } from '@confide/contracts';
import {
  AppError,
  GrpcGrantStore,
  GrpcServer,
  SUBJECT_ASSERTION_METADATA,
  createLogger,
  generateServiceTrust,
  unaryHandler,
  type ServiceTrust,
} from '../../../src';

const logger = createLogger({ service: 'grant-store-test', level: 'silent' });

describe('GrpcGrantStore (lifecycle grants over gRPC)', () => {
  let server: GrpcServer;
  let address: string;
  let trust: ServiceTrust;
  const calls: Array<{ tenantId: string; assertion: string | undefined }> = [];
  let failing = false;

  beforeAll(async () => {
    trust = await generateServiceTrust(['storage']);
    const unexpected = async (): Promise<never> => {
      throw new AppError('failed-precondition', 'not in this test');
    };
    const implementation: AccessGrantServiceServer = {
      requestAccessGrant: unaryHandler(logger, unexpected),
      approveAccessGrant: unaryHandler(logger, unexpected),
      denyAccessGrant: unaryHandler(logger, unexpected),
      revokeAccessGrant: unaryHandler(logger, unexpected),
      listAccessGrants: unaryHandler(logger, unexpected),
      listActiveGrantsForPolicy: unaryHandler(logger, async (req: { tenantId: string }, ctx) => {
        const values = ctx.metadata.get(SUBJECT_ASSERTION_METADATA);
        calls.push({ tenantId: req.tenantId, assertion: typeof values[0] === 'string' ? values[0] : undefined });
        if (failing) throw new AppError('unavailable', 'lifecycle is down');
        await new Promise((r) => setTimeout(r, 20));
        return {
          grants: [
            {
              grantId: `g-${req.tenantId}`,
              tenantId: req.tenantId,
              staffId: 's1',
              scope: AccessGrantScope.ACCESS_GRANT_SCOPE_MEETING,
              meetingId: 'm1',
              reason: 'ticket 1',
              approvedBy: 'owner-1',
              approvedAtUnixMs: 1000,
              expiresAtUnixMs: 2000,
              revoked: false,
            },
          ],
        };
      }),
    };
    server = new GrpcServer({ address: '127.0.0.1:0', logger, allowUncheckedHandlers: true }); // a fake lifecycle
    server.add({ name: 'confide.lifecycle.v1.AccessGrantService', definition: AccessGrantServiceService, implementation });
    address = `127.0.0.1:${(await server.start()).port}`;
  });

  afterAll(async () => {
    await server.shutdown();
  });

  beforeEach(() => {
    calls.length = 0;
    failing = false;
  });

  it('returns the grants in the policy form, signed as the calling service, cached per tenant; concurrent misses share one call', async () => {
    const store = new GrpcGrantStore(address, { signer: trust.signer('storage'), ttlMs: 60_000 });
    try {
      const [a, b] = await Promise.all([store.grantsFor('t1'), store.grantsFor('t1')]);
      expect(a).toEqual([
        { id: 'g-t1', tenant: 't1', staff_id: 's1', scope: 'meeting', meeting: 'm1', reason: 'ticket 1', approved_by: 'owner-1', approved_at: 1000, expires_at: 2000, revoked: false },
      ]);
      expect(b).toEqual(a);
      await store.grantsFor('t1');
      await store.grantsFor('t2');
      expect(calls.map((c) => c.tenantId)).toEqual(['t1', 't2']);
      const verified = await trust.verifier.verify(calls[0]!.assertion);
      expect(verified.caller).toMatchObject({ kind: 'service', service: 'storage' });
      expect(verified.subject).toBeUndefined();
      // Callers get copies: changing one does not change the cache.
      a[0]!.revoked = true;
      expect((await store.grantsFor('t1'))[0]!.revoked).toBe(false);
    } finally {
      store.close();
    }
  });

  it('expires the cache after the TTL', async () => {
    const store = new GrpcGrantStore(address, { signer: trust.signer('storage'), ttlMs: 30 });
    try {
      await store.grantsFor('t1');
      await new Promise((r) => setTimeout(r, 60));
      await store.grantsFor('t1');
      expect(calls.length).toBe(2);
    } finally {
      store.close();
    }
  });

  it('rejects when lifecycle fails, and does not cache the failure', async () => {
    const store = new GrpcGrantStore(address, { signer: trust.signer('storage'), ttlMs: 60_000 });
    try {
      failing = true;
      await expect(store.grantsFor('t1')).rejects.toBeDefined();
      failing = false;
      await expect(store.grantsFor('t1')).resolves.toHaveLength(1);
      expect(calls.length).toBe(2);
    } finally {
      store.close();
    }
  });
});
