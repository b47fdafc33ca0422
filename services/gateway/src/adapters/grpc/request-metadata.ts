import * as grpc from '@grpc/grpc-js';
import { SUBJECT_ASSERTION_METADATA } from '@confide/platform';
import type { CallContext } from '../../ports/storage.port';

export const REQUEST_ID_METADATA = 'x-request-id';

/**
 * gRPC metadata of a downstream call: the HTTP request id and the gateway's signed subject
 * assertion (`x-confide-subject`: the gateway's identity and the authenticated end user), by
 * which the peer authorizes the call. Trace context is added by callUnary.
 */
export function requestMetadata(ctx: CallContext): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(REQUEST_ID_METADATA, ctx.requestId);
  if (ctx.subjectAssertion) metadata.set(SUBJECT_ASSERTION_METADATA, ctx.subjectAssertion);
  return metadata;
}
