import * as grpc from '@grpc/grpc-js';

/**
 * A minimal grpc.health.v1.Health/Check client (the request and response are tiny enough
 * to encode by hand: field 1 `service` string / field 1 `status` enum).
 */
const SERVING = 1;

function encodeRequest(req: { service: string }): Buffer {
  const service = Buffer.from(req.service, 'utf8');
  if (service.length === 0) return Buffer.alloc(0);
  if (service.length > 127) throw new Error('health service name too long');
  return Buffer.concat([Buffer.from([0x0a, service.length]), service]);
}

function decodeResponse(buf: Buffer): { status: number } {
  // Field 1, wire type 0 (varint): tag 0x08. Status values fit one byte.
  for (let i = 0; i + 1 < buf.length; i += 1) {
    if (buf[i] === 0x08) return { status: buf[i + 1] as number };
  }
  return { status: 0 };
}

/** Asks a peer whether `service` is SERVING, sharing the channel of `client`; false on any failure. */
export function checkServing(client: grpc.Client, service: string, deadlineMs: number): Promise<boolean> {
  const health = new grpc.Client('health', grpc.credentials.createInsecure(), { channelOverride: client.getChannel() });
  return new Promise((resolve) => {
    health.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      encodeRequest,
      decodeResponse,
      { service },
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, res?: { status: number }) => resolve(!err && res?.status === SERVING),
    );
  });
}
