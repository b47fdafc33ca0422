import type { Logger } from '@confide/platform';
import type { SignAuditCheckpoint } from './sign-audit-checkpoint.use-case';

/**
 * Periodic checkpoints without a cross-tenant query (the application role sees one tenant at a
 * time, ADR 0006): the process that appends remembers which tenants it appended to
 * (`ChainedAuditLog` calls `noteAppended`) and `flush()` — on a timer, on shutdown, or as soon
 * as a tenant has `maxUnsigned` unsigned appends here — signs each such tenant's head. Several
 * replicas may sign the same head; the store keeps the first (same seq, same hash).
 */
export class AuditCheckpointer {
  private readonly dirty = new Map<string, number>();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: { sign: Pick<SignAuditCheckpoint, 'execute'>; maxUnsigned?: number; logger?: Logger },
  ) {}

  noteAppended(tenantId: string): void {
    const n = (this.dirty.get(tenantId) ?? 0) + 1;
    this.dirty.set(tenantId, n);
    if (n >= (this.deps.maxUnsigned ?? 1000)) void this.flush();
  }

  /** Tenants with appends not yet covered by a checkpoint signed here. */
  pendingTenants(): string[] {
    return [...this.dirty.keys()];
  }

  /** Signs the head of every tenant appended to since the last flush; failures stay pending. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const tenants = [...this.dirty.entries()];
      this.dirty.clear();
      for (const [tenantId, count] of tenants) {
        try {
          await this.deps.sign.execute(tenantId);
        } catch (err) {
          this.dirty.set(tenantId, (this.dirty.get(tenantId) ?? 0) + count);
          this.deps.logger?.warn({ tenantId, err: (err as Error).name }, 'audit checkpoint failed; retried at the next flush');
        }
      }
    });
    return this.flushing;
  }
}
