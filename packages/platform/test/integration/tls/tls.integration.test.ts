/**
 * Promise 1 (ARCHITECTURE.md) on real sockets: TLS 1.3 only on the gRPC listener and on the
 * gateway's HTTPS listener (a TLS 1.2 handshake is refused, by `openssl s_client` and by
 * Node), mTLS with a CA (no client certificate, or one from another CA: refused; a
 * CA-signed one: accepted, and its spiffe identity reaches the handler), and no plaintext
 * listener outside loopback. Certificates come from scripts/certs/dev.sh (needs openssl).
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get as httpsGet } from 'node:https';
import { get as httpGet } from 'node:http';
import { connect as tlsConnect, createSecureContext, type ConnectionOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { LifecycleServiceService, StorageServiceService } from '@confide/contracts';
import { createGatewayModule, gatewayConfigSchema, type GatewayModule } from '@confide/gateway-service';
import {
  ConfigError,
  DevIssuer,
  GrpcServer,
  clientCredentials,
  createLogger,
  loadConfig,
  loadTlsSettings,
  peerServiceIdentity,
  type TlsSettings,
} from '../../../src';
import { makeDevCerts, type DevCerts } from '../../unit/tls/dev-certs';

jest.setTimeout(60_000);

const logger = createLogger({ service: 'tls-test', level: 'silent' });

let certs: DevCerts;
let otherCa: DevCerts;
const settings = (dir: DevCerts, name: string, withCa: boolean): TlsSettings =>
  loadTlsSettings({
    TLS_CERT_FILE: dir.service(name).cert,
    TLS_KEY_FILE: dir.service(name).key,
    ...(withCa ? { TLS_CA_FILE: dir.ca.cert } : {}),
  }) as TlsSettings;

beforeAll(() => {
  certs = makeDevCerts('confide-tls-it-');
  otherCa = makeDevCerts('confide-tls-other-', ['gateway']);
});
afterAll(() => {
  certs?.remove();
  otherCa?.remove();
});

// --- helpers ------------------------------------------------------------------------------

/**
 * `openssl s_client` against 127.0.0.1:port (asynchronously: the server runs in this process);
 * stdin is closed so it ends after the handshake.
 */
function sClient(port: number, args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', certs.ca.cert, '-verify_return_error', ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
    child.stdin.end();
  });
}

/**
 * A raw Node TLS handshake. Resolves with the protocol when the connection is still up 300 ms
 * after it (in TLS 1.3 the server checks the client certificate after the client's Finished,
 * so its verdict arrives after 'secureConnect'); rejects with the handshake error, or when the
 * server drops the connection.
 */
function handshake(port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: readCa(), ALPNProtocols: ['h2'], ...options });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      fn();
    };
    socket.once('secureConnect', () => {
      const protocol = socket.getProtocol() ?? 'unknown';
      setTimeout(() => settle(() => resolve(protocol)), 300);
    });
    socket.on('data', () => undefined);
    socket.once('error', (err) => settle(() => reject(err)));
    socket.once('close', () => settle(() => reject(new Error('connection closed by the server'))));
  });
}

let caPem: Buffer | undefined;
function readCa(): Buffer {
  caPem ??= readFileSync(certs.ca.cert);
  return caPem;
}

type HealthClient = grpc.Client & {
  check(req: { service: string }, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): void;
};
const HealthCtor = (() => {
  const def = protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials) => HealthClient } } } };
  return pkg.grpc.health.v1.Health;
})();

/** A real grpc.health.v1.Health/Check over the given credentials. */
async function healthCheck(target: string, credentials: grpc.ChannelCredentials, service = ''): Promise<string> {
  const client = new HealthCtor(target, credentials);
  try {
    return await new Promise<string>((resolve, reject) => {
      client.check({ service }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res?.status ?? '')));
    });
  } finally {
    client.close();
  }
}

/** A tiny service answering the caller's mTLS identity (peerServiceIdentity on a real call). */
const whoAmIDefinition: grpc.ServiceDefinition = {
  whoAmI: {
    path: '/confide.test.WhoAmI/WhoAmI',
    requestStream: false,
    responseStream: false,
    requestSerialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
    requestDeserialize: (b: Buffer) => JSON.parse(b.toString() || '{}') as unknown,
    responseSerialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
    responseDeserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown,
    originalName: 'whoAmI',
  },
};
const whoAmIRegistration = {
  name: 'confide.test.WhoAmI',
  definition: whoAmIDefinition,
  implementation: {
    whoAmI: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, { identity: peerServiceIdentity(call) ?? null }),
  },
};
const WhoAmIClient = grpc.makeGenericClientConstructor(whoAmIDefinition, 'WhoAmI');
function whoAmI(target: string, credentials: grpc.ChannelCredentials): Promise<{ identity: string | null }> {
  const client = new WhoAmIClient(target, credentials) as unknown as grpc.Client & {
    whoAmI(req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { identity: string | null }) => void): void;
  };
  return new Promise<{ identity: string | null }>((resolve, reject) => {
    client.whoAmI({}, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res as { identity: string | null })));
  }).finally(() => client.close());
}

/** TLS 1.3 channel credentials trusting the dev CA but presenting no client certificate. */
function noClientCertCredentials(): grpc.ChannelCredentials {
  return grpc.credentials.createFromSecureContext(createSecureContext({ ca: readCa(), minVersion: 'TLSv1.3' }));
}

async function startServer(tls: TlsSettings | undefined, address = '127.0.0.1:0', extra: Array<Parameters<GrpcServer['add']>[0]> = []): Promise<{ server: GrpcServer; port: number }> {
  const server = new GrpcServer({ address, logger, tls, reflection: false, allowUncheckedHandlers: true }); // test services
  server.add(whoAmIRegistration);
  for (const reg of extra) server.add(reg);
  const { port } = await server.start();
  return { server, port };
}

// --- gRPC ---------------------------------------------------------------------------------

describe('gRPC listener with TLS (no CA)', () => {
  let server: GrpcServer;
  let port: number;
  beforeAll(async () => {
    ({ server, port } = await startServer(settings(certs, 'storage', false)));
  });
  afterAll(() => server.shutdown({ graceMs: 1000 }));

  it('refuses a TLS 1.2 handshake (openssl s_client -tls1_2 and Node)', async () => {
    const res = await sClient(port, ['-tls1_2', '-alpn', 'h2']);
    expect(res.status).not.toBe(0);
    expect(res.out).toMatch(/protocol version/i);
    await expect(handshake(port, { maxVersion: 'TLSv1.2' })).rejects.toMatchObject({ code: expect.stringMatching(/PROTOCOL_VERSION/) });
  });

  it('accepts TLS 1.3 (openssl s_client -tls1_3 and Node) with a certificate the CA verifies', async () => {
    const res = await sClient(port, ['-tls1_3', '-alpn', 'h2']);
    expect(res.out).toMatch(/New, TLSv1\.3/);
    expect(res.out).toMatch(/Verify return code: 0 \(ok\)/);
    expect(res.status).toBe(0);
    await expect(handshake(port, { minVersion: 'TLSv1.3' })).resolves.toBe('TLSv1.3');
  });

  it('answers a real health check over TLS, by name and by IP', async () => {
    const creds = clientCredentials(settings(certs, 'gateway', true));
    await expect(healthCheck(`localhost:${port}`, creds)).resolves.toBe('SERVING');
    await expect(healthCheck(`127.0.0.1:${port}`, creds, 'confide.test.WhoAmI')).resolves.toBe('SERVING');
    // Without a CA there is no client identity to report.
    await expect(whoAmI(`localhost:${port}`, creds)).resolves.toEqual({ identity: null });
  });

  it('does not speak plaintext', async () => {
    await expect(healthCheck(`127.0.0.1:${port}`, grpc.credentials.createInsecure())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });
});

describe('gRPC listener with mTLS (CA configured)', () => {
  let server: GrpcServer;
  let port: number;
  beforeAll(async () => {
    ({ server, port } = await startServer(settings(certs, 'storage', true)));
  });
  afterAll(() => server.shutdown({ graceMs: 1000 }));

  it('refuses a client without a certificate', async () => {
    await expect(handshake(port, {})).rejects.toMatchObject({ code: expect.stringMatching(/CERTIFICATE_REQUIRED/) });
    const res = await sClient(port, ['-tls1_3', '-alpn', 'h2', '-ign_eof']);
    expect(res.out).toMatch(/alert certificate required/i);
    expect(res.status).not.toBe(0);
    await expect(healthCheck(`localhost:${port}`, noClientCertCredentials())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('refuses a client certificate signed by another CA', async () => {
    const foreign = settings(otherCa, 'gateway', false);
    await expect(handshake(port, { cert: foreign.cert, key: foreign.key })).rejects.toThrow();
    // -ign_eof: keep reading after the handshake until the server's verdict. Node verifies the
    // chain after the handshake and drops the connection (no alert): s_client sees an EOF.
    const res = await sClient(port, ['-tls1_3', '-alpn', 'h2', '-ign_eof', '-cert', otherCa.service('gateway').cert, '-key', otherCa.service('gateway').key]);
    expect(res.out).toMatch(/unexpected eof while reading|alert/i);
    expect(res.status).not.toBe(0);
    // The client trusts our CA (so the server is fine) but presents the foreign certificate.
    const creds = grpc.credentials.createFromSecureContext(createSecureContext({ ca: readCa(), cert: foreign.cert, key: foreign.key, minVersion: 'TLSv1.3' }));
    await expect(healthCheck(`localhost:${port}`, creds)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('accepts a CA-signed client certificate, and the handler sees its spiffe identity', async () => {
    const gateway = settings(certs, 'gateway', true);
    await expect(handshake(port, { cert: gateway.cert, key: gateway.key })).resolves.toBe('TLSv1.3');
    await expect(healthCheck(`localhost:${port}`, clientCredentials(gateway))).resolves.toBe('SERVING');
    await expect(whoAmI(`localhost:${port}`, clientCredentials(gateway))).resolves.toEqual({ identity: 'spiffe://confide/gateway' });
    await expect(whoAmI(`localhost:${port}`, clientCredentials(settings(certs, 'lifecycle', true)))).resolves.toEqual({ identity: 'spiffe://confide/lifecycle' });
    const res = await sClient(port, ['-tls1_3', '-alpn', 'h2', '-cert', certs.service('gateway').cert, '-key', certs.service('gateway').key]);
    expect(res.out).toMatch(/New, TLSv1\.3/);
    expect(res.status).toBe(0);
  });

  it('still refuses TLS 1.2 with a valid client certificate', async () => {
    const res = await sClient(port, ['-tls1_2', '-cert', certs.service('gateway').cert, '-key', certs.service('gateway').key]);
    expect(res.status).not.toBe(0);
  });

  it('the client verifies the server too: a server certificate from another CA is refused', async () => {
    const { server: rogue, port: roguePort } = await startServer(settings(otherCa, 'gateway', false));
    try {
      await expect(healthCheck(`localhost:${roguePort}`, clientCredentials(settings(certs, 'gateway', true)))).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
      });
    } finally {
      await rogue.shutdown({ graceMs: 1000 });
    }
  });
});

describe('listener addresses', () => {
  it('refuses a plaintext gRPC listener on 0.0.0.0', async () => {
    const server = new GrpcServer({ address: '0.0.0.0:0', logger, reflection: false });
    await expect(server.start()).rejects.toMatchObject({ kind: 'failed-precondition', message: expect.stringMatching(/refusing to serve plaintext gRPC on non-loopback host 0\.0\.0\.0/) });
    await server.shutdown();
  });

  it('serves TLS on 0.0.0.0', async () => {
    const { server, port } = await startServer(settings(certs, 'storage', true), '0.0.0.0:0');
    try {
      await expect(healthCheck(`127.0.0.1:${port}`, clientCredentials(settings(certs, 'gateway', true)))).resolves.toBe('SERVING');
    } finally {
      await server.shutdown({ graceMs: 1000 });
    }
  });
});

// --- gateway ------------------------------------------------------------------------------

describe('gateway HTTPS listener', () => {
  let peers: GrpcServer;
  let peerPort: number;
  let gateway: GatewayModule;
  // The gateway authenticates API users (a development issuer) and signs subject assertions for
  // its peers (its own ed25519 key), as in microservices mode.
  let issuer: DevIssuer;
  const keyDir = mkdtempSync(join(tmpdir(), 'confide-tls-gw-'));
  const keyFile = join(keyDir, 'gateway.key.pem');
  writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const gatewayEnv = () => ({
    OIDC_ISSUER: issuer.issuer,
    OIDC_JWKS_URL: issuer.jwksUrl,
    SUBJECT_ASSERTION_KEY_FILE: keyFile,
    GATEWAY_HTTP_ADDR: '127.0.0.1:0',
    TLS_CERT_FILE: certs.service('gateway').cert,
    TLS_KEY_FILE: certs.service('gateway').key,
    TLS_CA_FILE: certs.ca.cert,
    STORAGE_GRPC_ADDR: `localhost:${peerPort}`,
    LIFECYCLE_GRPC_ADDR: `localhost:${peerPort}`,
    LOG_LEVEL: 'silent',
  });

  beforeAll(async () => {
    issuer = await DevIssuer.start();
    // Storage and lifecycle (health only) behind an mTLS listener, as in microservices mode.
    ({ server: peers, port: peerPort } = await startServer(settings(certs, 'storage', true), '127.0.0.1:0', [
      { name: 'confide.storage.v1.StorageService', definition: StorageServiceService, implementation: {} },
      { name: 'confide.lifecycle.v1.LifecycleService', definition: LifecycleServiceService, implementation: {} },
    ]));
    gateway = createGatewayModule({ logger, config: loadConfig(gatewayConfigSchema, gatewayEnv()) });
    await gateway.start();
  });
  afterAll(async () => {
    await gateway?.stop();
    await peers?.shutdown({ graceMs: 1000 });
    await issuer?.stop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('serves HTTPS', async () => {
    expect(gateway.httpScheme).toBe('https');
    const body = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      httpsGet({ host: '127.0.0.1', port: gateway.httpPort, path: '/healthz', servername: 'localhost', ca: readCa() }, (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode, body: data }));
      }).on('error', reject);
    });
    expect(body).toEqual({ status: 200, body: '{"status":"ok"}' });
  });

  it('refuses a TLS 1.2 handshake and accepts TLS 1.3', async () => {
    const port = gateway.httpPort as number;
    const old = await sClient(port, ['-tls1_2']);
    expect(old.status).not.toBe(0);
    expect(old.out).toMatch(/protocol version/i);
    await expect(handshake(port, { maxVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] })).rejects.toMatchObject({ code: expect.stringMatching(/PROTOCOL_VERSION/) });
    const current = await sClient(port, ['-tls1_3']);
    expect(current.out).toMatch(/New, TLSv1\.3/);
    expect(current.out).toMatch(/Verify return code: 0 \(ok\)/);
    expect(current.status).toBe(0);
  });

  it('does not answer plain HTTP', async () => {
    await expect(
      new Promise((resolve, reject) => {
        httpGet({ host: '127.0.0.1', port: gateway.httpPort, path: '/healthz', timeout: 5000 }, resolve).on('error', reject).on('timeout', () => reject(new Error('timeout')));
      }),
    ).rejects.toThrow();
  });

  it('reaches storage and lifecycle over mTLS (readiness through the TLS gRPC clients)', async () => {
    await expect(gateway.ready?.()).resolves.toBe(true);
  });

  it('refuses plaintext HTTP outside loopback; with TLS (and the always-on authentication) other addresses are valid', async () => {
    const { TLS_CERT_FILE: _c, TLS_KEY_FILE: _k, TLS_CA_FILE: _a, ...plain } = gatewayEnv();
    expect(() => loadConfig(gatewayConfigSchema, { ...plain, GATEWAY_HTTP_ADDR: '0.0.0.0:0' })).toThrow(ConfigError);
    expect(() => loadConfig(gatewayConfigSchema, { ...plain, GATEWAY_HTTP_ADDR: '0.0.0.0:0' })).toThrow(/GATEWAY_HTTP_ADDR: host must be loopback unless TLS is configured/);
    // Not bound here: test servers stay on loopback.
    expect(loadConfig(gatewayConfigSchema, { ...gatewayEnv(), GATEWAY_HTTP_ADDR: '0.0.0.0:0' }).GATEWAY_HTTP_ADDR).toBe('0.0.0.0:0');
  });
});
