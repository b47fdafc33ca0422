#!/usr/bin/env node
import { Command } from 'commander';
import { errorSummary, onShutdown } from '@confide/platform';
import { startAllInOne, type RunningPlatform } from './all-in-one';
import { defaultSampleDir, runDemo } from './demo/demo.command';
import { verifyAuditCommand, verifyCertificateCommand, type VerifyOutcome } from './verify/verify.command';

const program = new Command();
program.name('confide').description('Confide: privacy-first meeting intelligence').showHelpAfterError();

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface StartOptions {
  tokenTenant?: string;
  tokenUser: string;
  tokenRole?: string[];
  tokenMfa: boolean;
  tokenTtl: string;
}

program
  .command('start')
  .description('run the whole platform in one process (all-in-one mode) on embedded defaults')
  .option('--token-tenant <id>', 'print a development access token of a user of this tenant to stdout once started')
  .option('--token-user <id>', 'subject of the printed token', 'dev-user')
  .option('--token-role <role>', 'role of the printed token (owner, admin, member, auditor; repeatable; default admin)', collect)
  .option('--token-mfa', 'the printed token records a second factor (needed to erase)', false)
  .option('--token-ttl <seconds>', 'lifetime of the printed token', '3600')
  .action(async (opts: StartOptions) => {
    const ttl = Number(opts.tokenTtl);
    if (!Number.isInteger(ttl) || ttl <= 0 || ttl > 86_400) throw new Error('--token-ttl must be 1-86400 seconds');
    const platform = await startAllInOne();
    onShutdown(platform.logger, () => platform.stop());
    process.stdout.write(`Confide is running: gRPC ${platform.grpcAddress}, REST ${platform.httpBaseUrl} (Ctrl-C stops)\n`);
    if (!platform.issuer.dev) {
      process.stdout.write(`REST calls need a bearer token from ${platform.issuer.url} (audience ${platform.issuer.audience}).\n`);
      return;
    }
    process.stdout.write(
      `REST calls need a bearer token from the development issuer ${platform.issuer.url} (a fresh key per start).\n`,
    );
    if (opts.tokenTenant === undefined) {
      process.stdout.write(
        'To get one, start with: confide start --token-tenant <tenant> [--token-role admin] [--token-mfa]; ' +
          'it is printed here, never logged.\n',
      );
      return;
    }
    const roles = opts.tokenRole ?? ['admin'];
    const token = await platform.mintToken({ tenant: opts.tokenTenant, user: opts.tokenUser, roles, mfa: opts.tokenMfa, expiresInSec: ttl });
    process.stdout.write(
      `Development token (tenant ${opts.tokenTenant}, user ${opts.tokenUser}, roles ${roles.join(' ')}${opts.tokenMfa ? ', MFA' : ''}, ${ttl} s):\n` +
        `${token}\n` +
        `  curl -H "Authorization: Bearer $TOKEN" ${platform.httpBaseUrl}/api/meetings\n`,
    );
  });

program
  .command('demo')
  .description('stream the sample two-speaker meeting through the platform, then erase it')
  .option('--fast', 'send audio as fast as the platform accepts it instead of in real time', false)
  .option('--sample <dir>', 'sample folder (meeting.json + meeting.wav)', defaultSampleDir())
  .option('--grpc <address>', 'an already running platform: its gRPC address')
  .option('--http <url>', 'an already running platform: its REST base URL')
  .option('--tenant <id>', 'tenant id to stream as', 'demo-tenant')
  .option('--token <jwt>', 'an already running platform: bearer token of an admin of the tenant with MFA (or CONFIDE_TOKEN)')
  .action(async (opts: { fast: boolean; sample: string; grpc?: string; http?: string; tenant: string; token?: string }) => {
    let platform: RunningPlatform | undefined;
    let grpcAddress = opts.grpc;
    let httpBaseUrl = opts.http;
    let token = opts.token ?? process.env.CONFIDE_TOKEN;
    const reuse = (): void => {
      if (!token) {
        throw new Error(
          'a running platform needs a bearer token: pass --token (or CONFIDE_TOKEN) from `confide start --token-tenant <tenant> --token-mfa`',
        );
      }
    };
    if (grpcAddress && httpBaseUrl) reuse();
    if (!grpcAddress || !httpBaseUrl) {
      // Reuse a platform already running on the default listeners; start one otherwise.
      const probe = await fetch('http://127.0.0.1:8080/healthz').then((r) => r.ok).catch(() => false);
      if (probe && !opts.grpc && !opts.http) {
        reuse();
        grpcAddress = '127.0.0.1:50051';
        httpBaseUrl = 'http://127.0.0.1:8080';
        process.stdout.write('Using the Confide platform already running on 127.0.0.1.\n');
      } else {
        process.stdout.write('Starting Confide all-in-one (embedded PostgreSQL, in-process bus, pocketsphinx)...\n');
        platform = await startAllInOne({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', GRPC_ADDR: '127.0.0.1:0', GATEWAY_HTTP_ADDR: '127.0.0.1:0' });
        grpcAddress = platform.grpcAddress;
        httpBaseUrl = platform.httpBaseUrl;
        // An admin of the demo tenant who signed in with a second factor (erasure needs it).
        token = await platform.mintToken({ tenant: opts.tenant, user: 'demo-admin', roles: ['admin'], mfa: true, expiresInSec: 900 });
      }
    }
    try {
      if (!token) throw new Error('no bearer token for the REST API');
      await runDemo({ grpcAddress, httpBaseUrl, sampleDir: opts.sample, fast: opts.fast, tenantId: opts.tenant, token, out: process.stdout });
    } finally {
      await platform?.stop();
    }
  });

const report = (outcome: VerifyOutcome): void => {
  const out = outcome.exitCode === 0 ? process.stdout : process.stderr;
  for (const line of outcome.lines) out.write(`${line}\n`);
  process.exitCode = outcome.exitCode;
};

const certificate = program.command('certificate').description('deletion certificates');
certificate
  .command('verify <file-or-url>')
  .description('verify a signed deletion certificate offline with the public keys (exit 0 valid, 1 not)')
  .option('--keys <file-or-url>', 'the public keys (GET /.well-known/confide/certificate-keys); default for a URL: that platform\'s well-known keys')
  .option('--token <jwt>', 'bearer token to fetch a certificate URL (or CONFIDE_TOKEN)')
  .action(async (target: string, opts: { keys?: string; token?: string }) => {
    const token = opts.token ?? process.env.CONFIDE_TOKEN;
    report(await verifyCertificateCommand(target, opts.keys !== undefined ? { keys: opts.keys } : {}, token ? { token } : {}));
  });

const audit = program.command('audit').description('the tamper-evident audit log');
audit
  .command('verify <export-jsonl>')
  .description('verify an audit export (GET /api/audit/export) offline; names the first entry modified, removed or reordered (exit 0 valid, 1 not)')
  .requiredOption('--keys <file-or-url>', 'the public keys (GET /.well-known/confide/certificate-keys)')
  .action(async (file: string, opts: { keys: string }) => {
    report(await verifyAuditCommand(file, { keys: opts.keys }));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const summary = errorSummary(err);
  process.stderr.write(`confide: ${err instanceof Error ? err.message : summary.name}\n`);
  process.exit(1);
});
