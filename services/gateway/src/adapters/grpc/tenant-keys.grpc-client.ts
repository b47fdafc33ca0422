import { KeyRegistryServiceClient, type GetTenantKeyStatusResponse, type RotateTenantKeyResponse } from '@confide/contracts';
import { callUnary, createGrpcClient } from '@confide/platform';
import type { CallContext } from '../../ports/storage.port';
import type { TenantKeysPort, TenantKeyStatus } from '../../ports/tenant-keys.port';
import { fromDownstream } from './downstream-error';
import { requestMetadata } from './request-metadata';
import type { GrpcPortOptions } from './storage.grpc-client';

/**
 * TenantKeysPort over storage's KeyRegistryService (RotateTenantKey, GetTenantKeyStatus), with
 * the gateway's signed subject assertion like its other clients: storage decides the gateway's
 * `rpc:` action and the end user's `tenant-key:rotate` / `settings:read` again.
 */
export class GrpcTenantKeysClient implements TenantKeysPort {
  private readonly client: KeyRegistryServiceClient;

  constructor(
    address: string,
    private readonly opts: GrpcPortOptions,
  ) {
    this.client = createGrpcClient(KeyRegistryServiceClient, address, { credentials: opts.credentials });
  }

  private async call<Res>(method: string, request: object, ctx: CallContext): Promise<Res> {
    try {
      return await callUnary<object, Res>(this.client, method, request, {
        deadlineMs: this.opts.deadlineMs,
        signal: ctx.signal,
        metadata: requestMetadata(ctx),
      });
    } catch (err) {
      throw fromDownstream('storage', err);
    }
  }

  async rotate(tenantId: string, ctx: CallContext): Promise<{ rewrapStarted: boolean }> {
    const res = await this.call<RotateTenantKeyResponse>('rotateTenantKey', { tenantId }, ctx);
    return { rewrapStarted: res.rewrapStarted };
  }

  async status(tenantId: string, ctx: CallContext): Promise<TenantKeyStatus> {
    const res = await this.call<GetTenantKeyStatusResponse>('getTenantKeyStatus', { tenantId }, ctx);
    return { versions: res.versions.map((v) => ({ keyVersion: v.keyVersion, dataKeys: v.dataKeys })), rewrapRunning: res.rewrapRunning };
  }

  close(): void {
    this.client.close();
  }
}
