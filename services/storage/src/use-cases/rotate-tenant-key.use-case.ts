import { dekContext, parseVersioned, tenantKeyName, type KeyPurpose, type Kms, type Logger } from '@confide/platform';
import type { PostgresDataKeyRepository } from '../adapters/postgres/data-key.repository';

/** Above every key version (the column is a Postgres integer). */
const ALL_VERSIONS = 2_147_483_647;

export interface RewrapProgress {
  tenantId: string;
  /** The tenant-key version every active data key is wrapped under once the rewrap completes. */
  keyVersion: number;
  /** Keys rewrapped by this run. */
  rewrapped: number;
  /** Keys that changed under the run (destroyed or rewrapped by another run): left as they are. */
  skipped: number;
  /** Active keys still wrapped under an older version (0 when complete). */
  remaining: number;
}

export interface RotateTenantKeyOptions {
  kms: Kms;
  keys: PostgresDataKeyRepository;
  logger: Logger;
  /** Keys read per page. Default 100. */
  batchSize?: number;
}

/**
 * Rotation of a tenant's key-encryption key without downtime (docs/adr/0010-key-hierarchy.md):
 * `rotate` adds a new version of the tenant's Transit key (new data keys are wrapped under it
 * from that moment) and then rewraps, in the background, every active meeting and audio data key
 * still wrapped under an older version. A rewrap asks the KMS to re-encrypt the wrapped key
 * (`rewrapDataKey`: the plaintext never leaves Transit) under the same KMS context, and stores it
 * by compare-and-set, so a key destroyed or rewrapped meanwhile is left alone. Readers never
 * wait: older versions still unwrap until the operator retires them, and the plaintext data key
 * (hence every ciphertext) is unchanged.
 */
export class RotateTenantKey {
  private readonly running = new Map<string, Promise<RewrapProgress>>();

  constructor(private readonly opts: RotateTenantKeyOptions) {}

  /**
   * Rotates the tenant key, then rewraps in the background. Resolves once the new version is
   * in place, with the promise of the rewrap (callers may await or drop it; failures are logged
   * and a later `rewrap` picks up where it stopped).
   */
  async rotate(tenantId: string): Promise<{ rewrap: Promise<RewrapProgress> }> {
    await this.opts.kms.rotateKey(tenantKeyName(tenantId));
    const rewrap = this.rewrap(tenantId);
    rewrap.catch((err: unknown) =>
      this.opts.logger.warn({ tenantId, err: err instanceof Error ? err.name : 'error' }, 'tenant key rewrap stopped; run it again to finish'),
    );
    return { rewrap };
  }

  /** True while a rewrap of the tenant runs in this process. */
  isRunning(tenantId: string): boolean {
    return this.running.has(tenantId);
  }

  /** Rewraps the tenant's older data keys to the latest key version (one run per tenant at a time). */
  rewrap(tenantId: string): Promise<RewrapProgress> {
    let run = this.running.get(tenantId);
    if (!run) {
      run = this.run(tenantId).finally(() => this.running.delete(tenantId));
      this.running.set(tenantId, run);
    }
    return run;
  }

  private async run(tenantId: string): Promise<RewrapProgress> {
    const { kms, keys, logger } = this.opts;
    const limit = this.opts.batchSize ?? 100;
    const progress: RewrapProgress = { tenantId, keyVersion: 0, rewrapped: 0, skipped: 0, remaining: 0 };
    // The latest version is learnt from the first rewrap (the KMS wraps under its latest);
    // until then every active key is a candidate.
    let below = ALL_VERSIONS;
    let after: { meetingId: string; purpose: KeyPurpose } | undefined;
    for (;;) {
      const page = await keys.listWrappedBelow(tenantId, below, limit, after);
      if (page.length === 0) break;
      for (const key of page) {
        after = { meetingId: key.meetingId, purpose: key.purpose };
        const context = dekContext(tenantId, key.purpose === 'audio' ? `${key.meetingId}/audio` : key.meetingId);
        const wrapped = await kms.rewrapDataKey(key.keyName, key.wrapped, context);
        const version = parseVersioned(wrapped)?.version;
        if (version === undefined) throw new Error('the KMS returned a rewrapped key without a version');
        if (version > progress.keyVersion) progress.keyVersion = version;
        if (below === ALL_VERSIONS) below = version;
        if (version <= key.keyVersion) continue; // already at the latest version
        if (await keys.replaceWrapped(tenantId, key.meetingId, key.purpose, key.wrapped, { wrapped, keyVersion: version })) {
          progress.rewrapped += 1;
        } else {
          progress.skipped += 1;
        }
      }
    }
    const counts = await keys.versionCounts(tenantId);
    progress.remaining = Object.entries(counts)
      .filter(([version]) => Number(version) < progress.keyVersion)
      .reduce((sum, [, n]) => sum + n, 0);
    logger.info(
      { tenantId, keyVersion: progress.keyVersion, rewrapped: progress.rewrapped, skipped: progress.skipped, remaining: progress.remaining },
      'tenant data keys rewrapped',
    );
    return progress;
  }
}
