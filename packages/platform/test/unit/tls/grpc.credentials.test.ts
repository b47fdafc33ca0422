import * as grpc from '@grpc/grpc-js';
import {
  type TlsSettings,
  AppError,
  clientCredentials,
  createGrpcClient,
  grpcClientCredentials,
  grpcTargetHost,
  httpsServerOptions,
  loadTlsSettings,
  peerServiceIdentity,
  serverCredentials,
} from '../../../src';
import { makeDevCerts, type DevCerts } from './dev-certs';

let certs: DevCerts;
let mutual: TlsSettings;
let serverOnly: TlsSettings;
beforeAll(() => {
  certs = makeDevCerts('confide-tls-cred-', ['storage']);
  const files = { TLS_CERT_FILE: certs.service('storage').cert, TLS_KEY_FILE: certs.service('storage').key };
  mutual = loadTlsSettings({ ...files, TLS_CA_FILE: certs.ca.cert }) as TlsSettings;
  serverOnly = loadTlsSettings(files) as TlsSettings;
});
afterAll(() => certs.remove());

const isSecure = (creds: grpc.ChannelCredentials) => (creds as unknown as { _isSecure(): boolean })._isSecure();

describe('grpcTargetHost', () => {
  it.each([
    ['127.0.0.1:50051', { host: '127.0.0.1' }],
    ['localhost:1', { host: 'localhost' }],
    ['[::1]:50051', { host: '[::1]' }],
    ['storage.confide.svc:50055', { host: 'storage.confide.svc' }],
    ['dns:///storage:50055', { host: 'storage' }],
    ['dns://8.8.8.8/storage:50055', { host: 'storage' }],
    ['ipv4:127.0.0.1:50051', { host: '127.0.0.1' }],
    ['storage', { host: 'storage' }],
    ['unix:///run/confide.sock', { local: true }],
    ['ipv4:10.0.0.1:1,10.0.0.2:1', undefined],
    ['', undefined],
  ])('%s', (target, expected) => {
    expect(grpcTargetHost(target)).toEqual(expected);
  });
});

describe('grpcClientCredentials', () => {
  it('is plaintext only towards loopback and unix sockets', () => {
    expect(isSecure(grpcClientCredentials('127.0.0.1:50051', undefined))).toBe(false);
    expect(isSecure(grpcClientCredentials('localhost:50051', undefined))).toBe(false);
    expect(isSecure(grpcClientCredentials('[::1]:50051', undefined))).toBe(false);
    expect(isSecure(grpcClientCredentials('unix:///tmp/x.sock', undefined))).toBe(false);
  });

  it('refuses plaintext to any other host', () => {
    for (const target of ['storage:50055', '10.0.0.7:50055', 'dns:///storage.confide.svc:50055', 'ipv4:10.0.0.1:1,10.0.0.2:1']) {
      expect(() => grpcClientCredentials(target, undefined)).toThrow(AppError);
      expect(() => grpcClientCredentials(target, undefined)).toThrow(/refusing plaintext gRPC to non-loopback target/);
    }
  });

  it('is TLS whenever TLS is configured, loopback included', () => {
    expect(isSecure(grpcClientCredentials('storage:50055', mutual))).toBe(true);
    expect(isSecure(grpcClientCredentials('127.0.0.1:50055', mutual))).toBe(true);
    expect(isSecure(clientCredentials(serverOnly))).toBe(true);
  });

  it('createGrpcClient defaults to the same rule', () => {
    const local = createGrpcClient(grpc.Client, '127.0.0.1:1');
    local.close();
    expect(() => createGrpcClient(grpc.Client, 'storage:50055')).toThrow(/refusing plaintext gRPC/);
    const remote = createGrpcClient(grpc.Client, 'storage:50055', { credentials: grpcClientCredentials('storage:50055', mutual) });
    remote.close();
  });
});

describe('serverCredentials', () => {
  it('pins TLS 1.3 and requires client certificates only with a CA', () => {
    const creds = serverCredentials(mutual);
    expect(creds._isSecure()).toBe(true);
    expect(creds._getSecureContextOptions()).toMatchObject({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ca: mutual.ca });
    expect(creds._getConstructorOptions()).toMatchObject({ requestCert: true, rejectUnauthorized: true });
    expect(serverCredentials(serverOnly)._getConstructorOptions()).toMatchObject({ requestCert: false });
    expect(serverCredentials(serverOnly)._getSecureContextOptions()?.ca).toBeUndefined();
    expect(creds._equals(creds)).toBe(true);
    expect(creds._equals(serverCredentials(mutual))).toBe(false);
  });
});

describe('httpsServerOptions', () => {
  it('is TLS 1.3 only, with client certificates when a CA is configured', () => {
    expect(httpsServerOptions(mutual)).toMatchObject({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: true });
    expect(httpsServerOptions(serverOnly)).toMatchObject({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', requestCert: false, rejectUnauthorized: false });
    expect(httpsServerOptions(mutual, { requireClientCertificate: false })).toMatchObject({ requestCert: false, rejectUnauthorized: false });
  });

  it('refuses to require client certificates without a CA', () => {
    expect(() => httpsServerOptions(serverOnly, { requireClientCertificate: true })).toThrow(/needs a CA \(TLS_CA_FILE\)/);
  });
});

describe('peerServiceIdentity', () => {
  it('is the spiffe URI of the verified client certificate, if any', () => {
    const call = (san?: string) => ({
      getAuthContext: () => ({ transportSecurityType: 'ssl', sslPeerCertificate: (san === undefined ? {} : { subjectaltname: san }) as never }),
    });
    expect(peerServiceIdentity(call('DNS:gateway, URI:spiffe://confide/gateway'))).toBe('spiffe://confide/gateway');
    expect(peerServiceIdentity(call())).toBeUndefined();
    expect(peerServiceIdentity({ getAuthContext: () => null })).toBeUndefined();
  });
});
