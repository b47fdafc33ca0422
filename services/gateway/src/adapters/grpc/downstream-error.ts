import * as grpc from '@grpc/grpc-js';
import { grpcStatusToAppError, isServiceError } from '@confide/platform';

/** Codes that say nothing useful to an API caller: they become a plain (internal) Error. */
const INTERNAL_CODES = new Set<number>([grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.UNIMPLEMENTED, grpc.status.DATA_LOSS]);

/** Error raised for a downstream failure that must surface as 500 without details. */
export class DownstreamInternalError extends Error {
  constructor(
    readonly peer: string,
    readonly code: number,
  ) {
    super(`${peer} failed with ${grpc.status[code] ?? code}`);
    this.name = 'DownstreamInternalError';
  }
}

/** Maps a rejected gRPC call to an AppError (by status) or a DownstreamInternalError. */
export function fromDownstream(peer: string, err: unknown): Error {
  if (!isServiceError(err)) return err instanceof Error ? err : new Error(`${peer} call failed`);
  if (INTERNAL_CODES.has(err.code)) return new DownstreamInternalError(peer, err.code);
  return grpcStatusToAppError(err);
}
