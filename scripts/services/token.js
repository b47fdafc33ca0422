#!/usr/bin/env node
// Prints a development access token from the dev issuer of `pnpm start:services` (mint socket
// <state>/issuer.sock, owner-only). For curl: -H "Authorization: Bearer $(pnpm -s token --tenant t1 --role admin --mfa)".
//   node scripts/services/token.js --tenant <id> [--role owner|admin|member|auditor]... [--mfa] [--staff] [--sub <id>] [--ttl <seconds>]
'use strict';
const http = require('node:http');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    role: { type: 'string', multiple: true },
    mfa: { type: 'boolean', default: false },
    staff: { type: 'boolean', default: false },
    sub: { type: 'string' },
    ttl: { type: 'string' },
  },
});
if (!values.tenant && !values.staff) {
  process.stderr.write('token: --tenant <id> is required (or --staff for a support-staff token)\n');
  process.exit(2);
}
const state = process.env.CONFIDE_SERVICES_STATE || path.resolve(__dirname, '..', '..', '.state', 'services');
const socketPath = process.env.DEV_ISSUER_SOCKET || path.join(state, 'issuer.sock');
const body = JSON.stringify({
  sub: values.sub || (values.staff ? 'staff-1' : 'dev-user'),
  tenant: values.tenant,
  roles: values.role || (values.staff ? [] : ['admin']),
  mfa: values.mfa,
  staff: values.staff,
  expiresInSec: values.ttl ? Number(values.ttl) : 3600,
});
const req = http.request({ socketPath, path: '/mint', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (res.statusCode !== 200) {
      process.stderr.write(`token: ${parsed.error}\n`);
      process.exit(1);
    }
    process.stdout.write(`${parsed.token}\n`);
  });
});
req.on('error', (err) => {
  process.stderr.write(`token: the dev issuer is not running (${err.code}); start it with \`pnpm start:services\`\n`);
  process.exit(1);
});
req.end(body);
