import type { ServerOptions } from 'node:https';
import { AppError } from '../errors/app-error';
import { TLS_VERSION, type TlsSettings } from './tls.config';

export interface HttpsServerOptionsOverrides {
  /**
   * Require a client certificate signed by the CA. Default: `settings.mutual` (a CA is
   * configured). A public API whose users authenticate with bearer tokens passes false.
   */
  requireClientCertificate?: boolean;
}

/**
 * Options for `https.createServer`: this service's certificate and key, TLS 1.3 only
 * (a TLS 1.2 ClientHello is refused with a protocol_version alert), and with client
 * certificates required, `requestCert` + `rejectUnauthorized` against the CA.
 */
export function httpsServerOptions(settings: TlsSettings, overrides: HttpsServerOptionsOverrides = {}): ServerOptions {
  const requireClientCertificate = overrides.requireClientCertificate ?? settings.mutual;
  if (requireClientCertificate && !settings.ca) {
    throw new AppError('invalid-argument', 'requiring client certificates needs a CA (TLS_CA_FILE)');
  }
  return {
    cert: settings.cert,
    key: settings.key,
    ...(settings.ca ? { ca: settings.ca } : {}),
    minVersion: TLS_VERSION,
    maxVersion: TLS_VERSION,
    requestCert: requireClientCertificate,
    rejectUnauthorized: requireClientCertificate,
  };
}
