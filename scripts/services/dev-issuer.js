#!/usr/bin/env node
// The development OIDC issuer of the microservices mode on this machine (scripts/services/start.sh
// starts it unless OIDC_ISSUER names a real identity provider): platform's DevIssuer serving
// /.well-known/openid-configuration and /jwks.json on DEV_ISSUER_ADDR (loopback only), and a mint
// endpoint on a Unix socket only the owner can open (<state>/issuer.sock, mode 0600) that
// scripts/services/token.js calls. The signing key is fresh at every start and never leaves the
// process. Development only: a production deployment points OIDC_ISSUER at its identity provider.
//   DEV_ISSUER_ADDR=127.0.0.1:50070 DEV_ISSUER_SOCKET=.state/services/issuer.sock node scripts/services/dev-issuer.js
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const { DevIssuer } = require(path.resolve(__dirname, '..', '..', 'packages', 'platform', 'dist', 'index.js'));

const addr = process.env.DEV_ISSUER_ADDR || '127.0.0.1:50070';
const socketPath = process.env.DEV_ISSUER_SOCKET;
const match = /^(127\.0\.0\.1|localhost|\[::1\]):(\d+)$/.exec(addr);
if (!match) {
  process.stderr.write('dev-issuer: DEV_ISSUER_ADDR must be a loopback host:port\n');
  process.exit(2);
}
if (!socketPath) {
  process.stderr.write('dev-issuer: DEV_ISSUER_SOCKET is required (the mint socket)\n');
  process.exit(2);
}
const log = (msg, fields = {}) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service: 'dev-issuer', msg, ...fields })}\n`);

const ROLES = new Set(['owner', 'admin', 'member', 'auditor']);
const ID = /^[A-Za-z0-9_.@-]{1,64}$/;

function readBody(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > 4096) reject(new Error('request too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function main() {
  const issuer = await DevIssuer.start({ host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]) });
  fs.rmSync(socketPath, { force: true });
  const minter = http.createServer(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/mint') return send(404, { error: 'not_found' });
    try {
      const opts = JSON.parse(await readBody(req));
      const roles = Array.isArray(opts.roles) ? opts.roles : [];
      if (typeof opts.sub !== 'string' || !ID.test(opts.sub)) return send(400, { error: 'sub must be an id (letters, digits, _.@-)' });
      if (opts.tenant !== undefined && (typeof opts.tenant !== 'string' || !ID.test(opts.tenant))) return send(400, { error: 'tenant must be an id' });
      if (!roles.every((r) => ROLES.has(r))) return send(400, { error: 'roles must be among owner, admin, member, auditor' });
      const expiresInSec = Math.min(Math.max(Number(opts.expiresInSec) || 3600, 1), 12 * 3600);
      const token = await issuer.mint({ sub: opts.sub, tenant: opts.tenant, roles, mfa: opts.mfa === true, staff: opts.staff === true, expiresInSec });
      log('token minted', { tenant: opts.tenant, roles, mfa: opts.mfa === true, staff: opts.staff === true }); // never the token
      return send(200, { token, expiresInSec });
    } catch {
      return send(400, { error: 'body must be JSON: {"sub","tenant","roles","mfa","staff","expiresInSec"}' });
    }
  });
  const previous = process.umask(0o177);
  await new Promise((resolve, reject) => minter.once('error', reject).listen(socketPath, resolve));
  process.umask(previous);
  fs.chmodSync(socketPath, 0o600);
  log('dev issuer listening', { issuer: issuer.issuer });
  const stop = async () => {
    minter.close();
    await issuer.stop();
    fs.rmSync(socketPath, { force: true });
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`dev-issuer: failed to start: ${err && err.code ? err.code : err && err.name ? err.name : 'error'}\n`);
  process.exit(1);
});
