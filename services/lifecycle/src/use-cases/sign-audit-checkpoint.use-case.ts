import type { Clock, Kms } from '@confide/platform';
import { checkpointSigningBytes, type AuditCheckpoint } from '../domain/audit-chain';
import type { AuditEventStore } from '../ports/audit-event-store.port';

/**
 * Signs the tenant's current head (seq, hash) with the ed25519 signing key (Kms.sign) and stores
 * the checkpoint. Nothing to do when the log is empty or the head is already checkpointed, so it
 * can run on a timer (the leader's, `RunAsLeader`) and after bursts of appends alike.
 */
export class SignAuditCheckpoint {
  constructor(
    private readonly deps: {
      store: AuditEventStore;
      kms: Pick<Kms, 'sign'>;
      signingKeyName: string;
      clock: Clock;
    },
  ) {}

  async execute(tenantId: string): Promise<AuditCheckpoint | undefined> {
    const head = await this.deps.store.head(tenantId);
    if (!head) return undefined;
    const latest = await this.deps.store.latestCheckpoint(tenantId);
    if (latest && latest.seq >= head.seq) return latest;
    const signedAtMs = this.deps.clock.now();
    const { signature, keyVersion } = await this.deps.kms.sign(
      this.deps.signingKeyName,
      checkpointSigningBytes({ tenantId, seq: head.seq, headHash: head.hash, signedAtMs }),
    );
    return this.deps.store.saveCheckpoint({
      tenantId,
      seq: head.seq,
      headHash: head.hash,
      signedAtMs,
      keyVersion,
      signature,
      keyName: this.deps.signingKeyName,
    });
  }
}
