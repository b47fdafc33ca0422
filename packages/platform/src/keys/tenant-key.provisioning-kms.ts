import { KeyDestroyedError, KeyNotFoundError } from '../kms/kms.errors';
import type { GeneratedDataKey, Kms, KmsContext, KmsHealth, KmsKeyType, PublicKeyVersion, Signature } from '../kms/kms.port';

/**
 * A `Kms` that creates a tenant's key-encryption key on first use (tenant onboarding): when
 * `generateDataKey` finds no key it creates it (`aes256-gcm96`, idempotent; concurrent callers
 * share one creation) and retries once. A destroyed key (`KeyDestroyedError`) is never
 * re-created here: an erased tenant stays erased. Steady state costs nothing extra (no
 * `keyExists` probe per call). Every other method is the wrapped KMS's.
 */
export class TenantKeyProvisioningKms implements Kms {
  private readonly creating = new Map<string, Promise<void>>();
  private created = 0;

  constructor(private readonly inner: Kms) {}

  /** Tenant keys this instance created. */
  get tenantKeysCreated(): number {
    return this.created;
  }

  async generateDataKey(keyName: string, context?: KmsContext): Promise<GeneratedDataKey> {
    try {
      return await this.inner.generateDataKey(keyName, context);
    } catch (err) {
      if (!(err instanceof KeyNotFoundError) || err instanceof KeyDestroyedError) throw err;
      await this.ensure(keyName);
      return this.inner.generateDataKey(keyName, context);
    }
  }

  private ensure(keyName: string): Promise<void> {
    let pending = this.creating.get(keyName);
    if (!pending) {
      pending = this.inner.createKey(keyName, 'aes256-gcm96').then(() => {
        this.created += 1;
      });
      this.creating.set(keyName, pending);
      const done = (): void => void this.creating.delete(keyName);
      pending.then(done, done);
    }
    return pending;
  }

  createKey(name: string, type: KmsKeyType): Promise<void> {
    return this.inner.createKey(name, type);
  }
  keyExists(name: string): Promise<boolean> {
    return this.inner.keyExists(name);
  }
  unwrapDataKey(keyName: string, wrapped: string, context?: KmsContext): Promise<Buffer> {
    return this.inner.unwrapDataKey(keyName, wrapped, context);
  }
  rewrapDataKey(keyName: string, wrapped: string, context?: KmsContext): Promise<string> {
    return this.inner.rewrapDataKey(keyName, wrapped, context);
  }
  rotateKey(name: string): Promise<void> {
    return this.inner.rotateKey(name);
  }
  destroyKey(name: string): Promise<void> {
    return this.inner.destroyKey(name);
  }
  sign(keyName: string, data: Buffer): Promise<Signature> {
    return this.inner.sign(keyName, data);
  }
  verify(keyName: string, data: Buffer, signature: string): Promise<boolean> {
    return this.inner.verify(keyName, data, signature);
  }
  publicKeys(keyName: string): Promise<PublicKeyVersion[]> {
    return this.inner.publicKeys(keyName);
  }
  health(): Promise<KmsHealth> {
    return this.inner.health();
  }
}
