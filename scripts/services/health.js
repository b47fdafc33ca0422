#!/usr/bin/env node
// Health probe for scripts/services and the microservices end-to-end tests (@grpc/grpc-js and
// grpc-health-check from packages/platform's dependencies).
//   node scripts/services/health.js grpc <host:port> [wait-seconds]   grpc.health.v1 Check("") is SERVING
//   node scripts/services/health.js http <url> [wait-seconds]         GET <url> answers 200
// Polls until healthy or the wait (default 0 = one probe) runs out. Exit 0 healthy, 1 not.
// TLS (services started with TLS_CERT_FILE/TLS_KEY_FILE/TLS_CA_FILE): set HEALTH_TLS_CA_FILE (and,
// for mTLS, HEALTH_TLS_CERT_FILE + HEALTH_TLS_KEY_FILE); https:// URLs then trust that CA.
// Without HEALTH_TLS_CA_FILE the probe is plaintext, to a loopback address only (exit 2 otherwise).
// Prints one line: "SERVING", or the last status/error (no payloads, no credentials).
'use strict';
/* global fetch, AbortSignal -- Node 20 globals */
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');

const platform = path.resolve(__dirname, '..', '..', 'packages', 'platform');
const load = (name) => require(require.resolve(name, { paths: [platform] }));
// The same loopback rule as the services' own clients (platform's grpcClientCredentials).
const { isLoopbackHost, parseHostPort } = require(path.join(platform, 'dist', 'index.js'));

const [kind, target, waitArg = '0'] = process.argv.slice(2);
const waitMs = Math.max(0, Number(waitArg) || 0) * 1000;
const PROBE_TIMEOUT_MS = 2000;
const POLL_MS = 250;

function usage() {
  process.stderr.write('usage: health.js grpc <host:port> [wait-seconds] | health.js http <url> [wait-seconds]\n');
  process.exit(2);
}

function grpcProbe(client) {
  return new Promise((resolve) => {
    client.check({ service: '' }, { deadline: Date.now() + PROBE_TIMEOUT_MS }, (err, res) => {
      if (err) resolve({ ok: false, status: `grpc error ${err.code}` });
      else resolve({ ok: res.status === 'SERVING' || res.status === 1, status: String(res.status) });
    });
  });
}

const tlsFiles = process.env.HEALTH_TLS_CA_FILE
  ? {
      ca: fs.readFileSync(process.env.HEALTH_TLS_CA_FILE),
      cert: process.env.HEALTH_TLS_CERT_FILE ? fs.readFileSync(process.env.HEALTH_TLS_CERT_FILE) : undefined,
      key: process.env.HEALTH_TLS_KEY_FILE ? fs.readFileSync(process.env.HEALTH_TLS_KEY_FILE) : undefined,
    }
  : undefined;

function httpsProbe(url) {
  return new Promise((resolve) => {
    const req = https.get(url, { ...tlsFiles, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === 200, status: `http ${res.statusCode}` }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ ok: false, status: err.code || 'unreachable' }));
  });
}

async function httpProbe(url) {
  if (url.startsWith('https:') && tlsFiles) return httpsProbe(url);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.arrayBuffer();
    return { ok: res.status === 200, status: `http ${res.status}` };
  } catch (err) {
    return { ok: false, status: err && err.cause && err.cause.code ? err.cause.code : 'unreachable' };
  }
}

/** Plaintext only to loopback: elsewhere the probe needs TLS (HEALTH_TLS_CA_FILE, https://). */
function requireLoopbackForPlaintext(host) {
  if (host !== undefined && isLoopbackHost(host.replace(/^\[(.*)\]$/, '$1'))) return;
  process.stderr.write('health.js: plaintext probes go to a loopback address only; use TLS (HEALTH_TLS_CA_FILE, https://) elsewhere\n');
  process.exit(2);
}

async function main() {
  if (!target || (kind !== 'grpc' && kind !== 'http')) usage();
  if (kind === 'grpc' && !tlsFiles) requireLoopbackForPlaintext(parseHostPort(target)?.host);
  if (kind === 'http' && !target.startsWith('https:')) {
    let host;
    try {
      host = new URL(target).hostname;
    } catch {
      usage();
    }
    requireLoopbackForPlaintext(host);
  }
  let probe;
  let close = () => undefined;
  if (kind === 'grpc') {
    const grpc = load('@grpc/grpc-js');
    const { service } = load('grpc-health-check');
    const Health = grpc.makeClientConstructor(service, 'grpc.health.v1.Health');
    const credentials = tlsFiles
      ? grpc.credentials.createSsl(tlsFiles.ca, tlsFiles.key || null, tlsFiles.cert || null)
      : grpc.credentials.createInsecure();
    const client = new Health(target, credentials);
    probe = () => grpcProbe(client);
    close = () => client.close();
  } else {
    probe = () => httpProbe(target);
  }
  const deadline = Date.now() + waitMs;
  let last;
  for (;;) {
    last = await probe();
    if (last.ok || Date.now() + POLL_MS > deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  close();
  process.stdout.write(`${last.ok ? 'SERVING' : last.status}\n`);
  process.exit(last.ok ? 0 : 1);
}

main().catch((err) => {
  process.stdout.write(`${err && err.name ? err.name : 'error'}\n`);
  process.exit(1);
});
