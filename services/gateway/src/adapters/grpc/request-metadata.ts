import * as grpc from '@grpc/grpc-js';
import type { CallContext } from '../../ports/storage.port';

export const REQUEST_ID_METADATA = 'x-request-id';

/** gRPC metadata carrying the HTTP request id to the peer (trace context is added by callUnary). */
export function requestMetadata(ctx: CallContext): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(REQUEST_ID_METADATA, ctx.requestId);
  return metadata;
}
