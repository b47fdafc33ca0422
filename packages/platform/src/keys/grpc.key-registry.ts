import type * as grpc from '@grpc/grpc-js';
import {
  DataKeyPurpose,
  DataKeyState,
  KeyRegistryServiceClient,
  type DestroyDataKeyRequest,
  type DestroyDataKeyResponse,
  type GetDataKeyRequest,
  type GetDataKeyResponse,
  type GetOrCreateDataKeyRequest,
  type GetOrCreateDataKeyResponse,
  type StoredDataKey as StoredDataKeyMessage,
} from '@confide/contracts';
import { AppError } from '../errors/app-error';
import { callUnary, createGrpcClient, type CreateGrpcClientOptions } from '../grpc/grpc.client';
import { grpcStatusToAppError, isServiceError } from '../grpc/status-mapping';
import type { StoredDataKey, WrappedDataKey } from '../kms/wrapped-key-store.port';
import type { KeyPurpose, KeyRegistry } from './key-registry.port';

export const DEFAULT_KEY_REGISTRY_DEADLINE_MS = 5000;

export interface GrpcKeyRegistryOptions extends CreateGrpcClientOptions {
  deadlineMs?: number;
  /** Metadata for every call (e.g. the caller's service identity assertion). */
  metadata?: () => grpc.Metadata | Promise<grpc.Metadata>;
}

/**
 * `KeyRegistry` over `KeyRegistryService` (hosted by storage). gRPC failures become AppErrors
 * (UNAVAILABLE / DEADLINE_EXCEEDED stay retryable kinds), so a publish that needs a key fails
 * closed while storage is down.
 */
export class GrpcKeyRegistry implements KeyRegistry {
  private readonly client: KeyRegistryServiceClient;
  private readonly ownsClient: boolean;

  /** `client` (share a channel) or an address "host:port" (`STORAGE_GRPC_ADDR`). */
  constructor(
    clientOrAddress: KeyRegistryServiceClient | string,
    private readonly opts: GrpcKeyRegistryOptions = {},
  ) {
    this.ownsClient = typeof clientOrAddress === 'string';
    this.client = typeof clientOrAddress === 'string' ? createGrpcClient(KeyRegistryServiceClient, clientOrAddress, opts) : clientOrAddress;
  }

  async get(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<StoredDataKey | undefined> {
    const res = await this.call<GetDataKeyRequest, GetDataKeyResponse>('getDataKey', { tenantId, meetingId, purpose: toPurpose(purpose) });
    return fromStored(res.stored);
  }

  async putIfAbsent(tenantId: string, meetingId: string, purpose: KeyPurpose, key: WrappedDataKey): Promise<StoredDataKey> {
    const res = await this.call<GetOrCreateDataKeyRequest, GetOrCreateDataKeyResponse>('getOrCreateDataKey', {
      tenantId,
      meetingId,
      purpose: toPurpose(purpose),
      candidate: { keyName: key.keyName, wrapped: key.wrapped, keyVersion: key.keyVersion },
    });
    const stored = fromStored(res.stored);
    if (!stored) throw new AppError('unavailable', 'key registry stored no key');
    return stored;
  }

  async destroy(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<boolean> {
    const res = await this.call<DestroyDataKeyRequest, DestroyDataKeyResponse>('destroyDataKey', { tenantId, meetingId, purpose: toPurpose(purpose) });
    return res.destroyed;
  }

  /** Closes the channel when this registry created it. */
  close(): void {
    if (this.ownsClient) this.client.close();
  }

  private async call<Req, Res>(method: string, request: Req): Promise<Res> {
    try {
      const metadata = this.opts.metadata ? await this.opts.metadata() : undefined;
      return await callUnary<Req, Res>(this.client, method, request, {
        deadlineMs: this.opts.deadlineMs ?? DEFAULT_KEY_REGISTRY_DEADLINE_MS,
        ...(metadata ? { metadata } : {}),
      });
    } catch (err) {
      throw isServiceError(err) ? grpcStatusToAppError(err) : err;
    }
  }
}

export function toPurpose(purpose: KeyPurpose): DataKeyPurpose {
  return purpose === 'audio' ? DataKeyPurpose.DATA_KEY_PURPOSE_AUDIO : DataKeyPurpose.DATA_KEY_PURPOSE_MEETING;
}

/** The purpose of a request, or undefined for UNSPECIFIED / unknown values. */
export function fromPurpose(purpose: DataKeyPurpose): KeyPurpose | undefined {
  if (purpose === DataKeyPurpose.DATA_KEY_PURPOSE_AUDIO) return 'audio';
  if (purpose === DataKeyPurpose.DATA_KEY_PURPOSE_MEETING) return 'meeting';
  return undefined;
}

/** The wire form of what the registry holds. */
export function toStored(stored: StoredDataKey | undefined, destroyedAtUnixMs = 0): StoredDataKeyMessage {
  if (!stored) return { state: DataKeyState.DATA_KEY_STATE_ABSENT, key: undefined, destroyedAtUnixMs: 0 };
  if (stored.state === 'erased') return { state: DataKeyState.DATA_KEY_STATE_DESTROYED, key: undefined, destroyedAtUnixMs };
  return {
    state: DataKeyState.DATA_KEY_STATE_ACTIVE,
    key: { keyName: stored.keyName, wrapped: stored.wrapped, keyVersion: stored.keyVersion },
    destroyedAtUnixMs: 0,
  };
}

function fromStored(stored: StoredDataKeyMessage | undefined): StoredDataKey | undefined {
  switch (stored?.state) {
    case DataKeyState.DATA_KEY_STATE_ACTIVE:
      if (!stored.key?.wrapped || !stored.key.keyName) throw new AppError('unavailable', 'key registry returned an active key without its wrapped form');
      return { state: 'active', keyName: stored.key.keyName, wrapped: stored.key.wrapped, keyVersion: stored.key.keyVersion };
    case DataKeyState.DATA_KEY_STATE_DESTROYED:
      return { state: 'erased' };
    case DataKeyState.DATA_KEY_STATE_ABSENT:
      return undefined;
    default:
      throw new AppError('unavailable', 'key registry returned no key state');
  }
}
