import type { CallContext } from './storage.port';

/** Data keys of the tenant per version of its tenant key, and whether a rewrap runs. */
export interface TenantKeyStatus {
  versions: Array<{ keyVersion: number; dataKeys: number }>;
  rewrapRunning: boolean;
}

/**
 * The tenant key through storage's KeyRegistryService (docs/adr/0010-key-hierarchy.md):
 * rotation (a new key version; the data keys are rewrapped in the background) and its status.
 * Rejections as in StoragePort.
 */
export interface TenantKeysPort {
  rotate(tenantId: string, ctx: CallContext): Promise<{ rewrapStarted: boolean }>;
  status(tenantId: string, ctx: CallContext): Promise<TenantKeyStatus>;
}
