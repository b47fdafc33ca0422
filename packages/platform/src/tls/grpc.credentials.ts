import { createSecureContext, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { AppError } from '../errors/app-error';
import { isLoopbackHost, parseHostPort } from '../config/schema.helpers';
import { TLS_VERSION, spiffeIdFromSubjectAltName, type TlsSettings } from './tls.config';

/**
 * grpc-js server credentials pinned to TLS 1.3. `grpc.ServerCredentials.createSsl` cannot set
 * a minimum version, but grpc-js passes a credential's secure-context options straight to
 * `http2.createSecureServer` (and to `setSecureContext` on updates), so a subclass carrying
 * `minVersion`/`maxVersion` there gets a TLS 1.3-only listener.
 */
class Tls13ServerCredentials extends grpc.ServerCredentials {
  constructor(settings: TlsSettings) {
    super(
      // Constructor options of the http2 secure server: a client certificate signed by the CA is
      // required when one is configured (the handshake fails without it).
      { requestCert: settings.mutual, rejectUnauthorized: settings.mutual },
      {
        cert: settings.cert,
        key: settings.key,
        ...(settings.ca ? { ca: settings.ca } : {}),
        minVersion: TLS_VERSION,
        maxVersion: TLS_VERSION,
      },
    );
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

/**
 * Server credentials for `GrpcServer`: TLS 1.3 only, this service's certificate and key, and
 * with a CA (mTLS) a client certificate signed by it is required.
 */
export function serverCredentials(settings: TlsSettings): grpc.ServerCredentials {
  return new Tls13ServerCredentials(settings);
}

/**
 * Channel credentials: TLS 1.3 only; the server is verified against the CA (else the system
 * roots) and its name must match the target host; this service's certificate is presented
 * as its client identity (mTLS).
 */
export function clientCredentials(settings: TlsSettings): grpc.ChannelCredentials {
  const context = createSecureContext({
    cert: settings.cert,
    key: settings.key,
    ...(settings.ca ? { ca: settings.ca } : {}),
    minVersion: TLS_VERSION,
    maxVersion: TLS_VERSION,
  });
  return grpc.credentials.createFromSecureContext(context);
}

/**
 * The host of a gRPC target: "host:port", "host", "dns:host:port", "dns:///host:port",
 * "ipv4:a.b.c.d:port", "ipv6:[::1]:port". "unix:" targets are local. Undefined when unknown.
 */
export function grpcTargetHost(target: string): { host: string } | { local: true } | undefined {
  const t = target.trim();
  if (/^unix(-abstract)?:/.test(t)) return { local: true };
  let rest = t.replace(/^dns:(\/\/[^/]*\/)?/, '').replace(/^ipv[46]:/, '');
  if (rest.includes(',')) return undefined; // several addresses: not one host
  const hostPort = parseHostPort(rest);
  if (hostPort) return { host: hostPort.host };
  rest = rest.replace(/^\[(.*)\]$/, '$1');
  return /^[A-Za-z0-9.\-:]+$/.test(rest) && rest.length > 0 ? { host: rest } : undefined;
}

/**
 * Credentials for a client of `target`: TLS (`clientCredentials`) when TLS is configured;
 * plaintext only to a loopback or unix-socket target. Plaintext to any other host is refused
 * ('failed-precondition'): traffic between hosts is always encrypted.
 */
export function grpcClientCredentials(target: string, settings: TlsSettings | undefined): grpc.ChannelCredentials {
  if (settings) return clientCredentials(settings);
  const parsed = grpcTargetHost(target);
  if (parsed && ('local' in parsed || isLoopbackHost(parsed.host))) return grpc.credentials.createInsecure();
  throw new AppError(
    'failed-precondition',
    `refusing plaintext gRPC to non-loopback target ${parsed && 'host' in parsed ? parsed.host : '(unparsed)'}: configure TLS_CERT_FILE, TLS_KEY_FILE and TLS_CA_FILE`,
  );
}

/**
 * The service identity of the peer of a server call under mTLS: the `spiffe://` URI SAN of its
 * client certificate (e.g. "spiffe://confide/gateway"). Undefined without a verified client
 * certificate (plaintext, or TLS without a CA).
 */
export function peerServiceIdentity(call: {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate | undefined } | null;
}): string | undefined {
  return spiffeIdFromSubjectAltName(call.getAuthContext()?.sslPeerCertificate?.subjectaltname);
}
