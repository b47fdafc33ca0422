#!/usr/bin/env node
import { Command } from 'commander';
import { errorSummary, onShutdown } from '@confide/platform';
import { startAllInOne, type RunningPlatform } from './all-in-one';
import { defaultSampleDir, runDemo } from './demo/demo.command';

const program = new Command();
program.name('confide').description('Confide: privacy-first meeting intelligence').showHelpAfterError();

program
  .command('start')
  .description('run the whole platform in one process (all-in-one mode) on embedded defaults')
  .action(async () => {
    const platform = await startAllInOne();
    onShutdown(platform.logger, () => platform.stop());
    process.stdout.write(`Confide is running: gRPC ${platform.grpcAddress}, REST ${platform.httpBaseUrl} (Ctrl-C stops)\n`);
  });

program
  .command('demo')
  .description('stream the sample two-speaker meeting through the platform, then erase it')
  .option('--fast', 'send audio as fast as the platform accepts it instead of in real time', false)
  .option('--sample <dir>', 'sample folder (meeting.json + meeting.wav)', defaultSampleDir())
  .option('--grpc <address>', 'an already running platform: its gRPC address')
  .option('--http <url>', 'an already running platform: its REST base URL')
  .option('--tenant <id>', 'tenant id to stream as', 'demo-tenant')
  .action(async (opts: { fast: boolean; sample: string; grpc?: string; http?: string; tenant: string }) => {
    let platform: RunningPlatform | undefined;
    let grpcAddress = opts.grpc;
    let httpBaseUrl = opts.http;
    if (!grpcAddress || !httpBaseUrl) {
      // Reuse a platform already running on the default listeners; start one otherwise.
      const probe = await fetch('http://127.0.0.1:8080/healthz').then((r) => r.ok).catch(() => false);
      if (probe && !opts.grpc && !opts.http) {
        grpcAddress = '127.0.0.1:50051';
        httpBaseUrl = 'http://127.0.0.1:8080';
        process.stdout.write('Using the Confide platform already running on 127.0.0.1.\n');
      } else {
        process.stdout.write('Starting Confide all-in-one (embedded PostgreSQL, in-process bus, pocketsphinx)...\n');
        platform = await startAllInOne({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', GRPC_ADDR: '127.0.0.1:0', GATEWAY_HTTP_ADDR: '127.0.0.1:0' });
        grpcAddress = platform.grpcAddress;
        httpBaseUrl = platform.httpBaseUrl;
      }
    }
    try {
      await runDemo({ grpcAddress, httpBaseUrl, sampleDir: opts.sample, fast: opts.fast, tenantId: opts.tenant, out: process.stdout });
    } finally {
      await platform?.stop();
    }
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const summary = errorSummary(err);
  process.stderr.write(`confide: ${err instanceof Error ? err.message : summary.name}\n`);
  process.exit(1);
});
