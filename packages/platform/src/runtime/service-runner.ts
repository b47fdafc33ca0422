import type { GrpcServer } from '../grpc/grpc.server';
import type { Logger } from '../logging/logger';
import type { ServiceModule } from './service-module';
import { errorSummary } from './shutdown';

export interface RunServiceModulesOptions {
  modules: ServiceModule[];
  server: GrpcServer;
  logger: Logger;
  telemetry?: { shutdown(): Promise<void> };
  /** Grace period for in-flight calls and streams on stop; default the server's (10 s). */
  graceMs?: number;
}

export interface RunningServices {
  port: number;
  /** Server NOT_SERVING + drain, modules stop in reverse order, telemetry flush. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Registers every module's gRPC services on the server, starts the modules in order, then
 * the server. If anything fails to start, the modules already started are stopped again.
 * Module health: a module with `ready()` that reports false is NOT_SERVING at start.
 */
export async function runServiceModules(opts: RunServiceModulesOptions): Promise<RunningServices> {
  const { modules, server, logger, telemetry } = opts;
  for (const module of modules) for (const reg of module.grpcServices) server.add(reg);

  const started: ServiceModule[] = [];
  const stopModules = async (): Promise<void> => {
    for (const module of [...started].reverse()) {
      try {
        await module.stop();
        logger.info({ module: module.name }, 'module stopped');
      } catch (err) {
        logger.error({ module: module.name, err: errorSummary(err) }, 'module failed to stop');
      }
    }
  };

  let port: number;
  try {
    for (const module of modules) {
      await module.start();
      started.push(module);
      logger.info({ module: module.name }, 'module started');
    }
    ({ port } = await server.start());
  } catch (err) {
    logger.error({ err: errorSummary(err) }, 'startup failed; stopping started modules');
    await server.shutdown({ graceMs: 0 });
    await stopModules();
    throw err;
  }

  for (const module of modules) {
    if (!module.ready) continue;
    const ready = await module.ready().catch(() => false);
    if (!ready) for (const reg of module.grpcServices) server.setStatus(reg.name, 'NOT_SERVING');
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await server.shutdown(opts.graceMs === undefined ? {} : { graceMs: opts.graceMs });
      await stopModules();
      if (telemetry) {
        try {
          await telemetry.shutdown();
        } catch (err) {
          logger.error({ err: errorSummary(err) }, 'telemetry flush failed');
        }
      }
    })());
  return { port, stop };
}
