import { createHash } from 'node:crypto';
import { existsSync, unwatchFile, watch, watchFile, type FSWatcher, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { AppError } from '../errors/app-error';
import type { Logger } from '../logging/logger';
import { buildPolicyInput, type Decision, type PolicyInput } from './policy.types';

/** The WASM entrypoint of the decision (policies/README.md). */
export const DECISION_ENTRYPOINT = 'confide/authz/decision';
/** Reason of the decision returned when the policy could not be evaluated. */
export const EVALUATION_ERROR_REASON = 'policy-evaluation-error';
const DEFAULT_RELOAD_DEBOUNCE_MS = 250;
const DEFAULT_POLL_INTERVAL_MS = 2000;

/** Anything that decides: the WASM evaluator, or a fake in tests of callers. */
export interface PolicyDecider {
  evaluate(input: PolicyInput): Decision;
}

/** The nearest ancestor of `startDir` holding `policies/dist/policy.wasm`; returns that file. */
export function findPolicyBundle(startDir: string = __dirname): string | undefined {
  let dir = resolve(startDir);
  for (;;) {
    const candidate = join(dir, 'policies', 'dist', 'policy.wasm');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface PolicyEvaluatorOptions {
  logger: Logger;
  /** Path of policy.wasm; default: the repository's policies/dist/policy.wasm (findPolicyBundle). */
  path?: string;
  /** Reload when the file changes (default true). */
  watch?: boolean;
  reloadDebounceMs?: number;
  /**
   * With `watch`, also poll the file's status (following symlinks) every this many ms; 0
   * disables. Catches what directory events miss: a Kubernetes ConfigMap update swaps the
   * `..data` symlink, so the event names `..data`, never the file. Default 2000.
   */
  pollIntervalMs?: number;
  /** Called after each reload attempt (tests, metrics). */
  onReload?: (outcome: ReloadOutcome) => void;
}

export type ReloadOutcome = { ok: true; version: string; changed: boolean } | { ok: false; version: string; error: string };

const denyOnError = (): Decision => ({ allow: false, reasons: [EVALUATION_ERROR_REASON], obligations: ['audit'] });

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** The decision from an opa-wasm result set, or undefined if it is not exactly one well-formed decision. */
export function parseDecision(resultSet: unknown): Decision | undefined {
  if (!Array.isArray(resultSet) || resultSet.length !== 1) return undefined;
  const result = (resultSet[0] as { result?: unknown } | null)?.result;
  if (typeof result !== 'object' || result === null) return undefined;
  const { allow, reasons, obligations } = result as Record<string, unknown>;
  if (typeof allow !== 'boolean' || !isStringArray(reasons) || !isStringArray(obligations)) return undefined;
  return { allow, reasons: [...reasons], obligations: [...obligations] };
}

/** A probe every loaded policy must answer with a well-formed deny before it is used. */
const PROBE_INPUT = buildPolicyInput({
  subject: { id: 'policy-probe', tenant: '', roles: [], kind: 'user', mfa: false },
  action: 'meeting:list',
  now: 0,
});

interface Loaded {
  policy: LoadedPolicy;
  version: string;
}

async function loadFrom(path: string): Promise<Loaded> {
  const bytes = await readFile(path);
  const version = createHash('sha256').update(bytes).digest('hex');
  const policy = await loadPolicy(bytes);
  const entrypoints = policy.entrypoints as Record<string, number> | undefined;
  if (!entrypoints || !(DECISION_ENTRYPOINT in entrypoints)) {
    throw new AppError('failed-precondition', `policy has no ${DECISION_ENTRYPOINT} entrypoint`);
  }
  const probe = parseDecision(policy.evaluate(PROBE_INPUT, DECISION_ENTRYPOINT));
  if (!probe || probe.allow) throw new AppError('failed-precondition', 'policy answered the probe input with no well-formed deny');
  return { policy, version };
}

/**
 * Evaluates the Confide authorization policy (policies/dist/policy.wasm) in-process.
 * `evaluate` never throws and never allows on error: any evaluation failure or malformed
 * result is a deny with reason `policy-evaluation-error`. With `watch` (default), a change
 * of the file reloads it after a debounce; a file that fails to load or to answer a probe
 * is rejected and the previous policy stays in force. Logs carry the version (sha256) only.
 */
export class PolicyEvaluator implements PolicyDecider {
  private current: Loaded;
  private watcher: FSWatcher | undefined;
  private polling: ((curr: Stats, prev: Stats) => void) | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly path: string,
    initial: Loaded,
    private readonly opts: PolicyEvaluatorOptions,
  ) {
    this.current = initial;
  }

  /** Loads the policy (rejects if it cannot: a service must not start without one). */
  static async load(opts: PolicyEvaluatorOptions): Promise<PolicyEvaluator> {
    const path = opts.path ? resolve(opts.path) : findPolicyBundle();
    if (!path) throw new AppError('failed-precondition', 'policies/dist/policy.wasm not found; set the policy path');
    const initial = await loadFrom(path);
    const evaluator = new PolicyEvaluator(path, initial, opts);
    opts.logger.info({ policyVersion: initial.version }, 'authorization policy loaded');
    if (opts.watch ?? true) evaluator.startWatching();
    return evaluator;
  }

  /** sha256 (hex) of the policy.wasm in force. */
  get version(): string {
    return this.current.version;
  }

  evaluate(input: PolicyInput): Decision {
    try {
      const decision = parseDecision(this.current.policy.evaluate(input, DECISION_ENTRYPOINT));
      if (decision) return decision;
      this.opts.logger.error({ policyVersion: this.current.version, action: input.action }, 'policy returned a malformed decision; denied');
    } catch (err) {
      this.opts.logger.error(
        { policyVersion: this.current.version, action: input.action, err: err instanceof Error ? err.name : typeof err },
        'policy evaluation failed; denied',
      );
    }
    return denyOnError();
  }

  /** Reloads now (also what the watcher does). Resolves when the attempt finished. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.doReload());
    return this.reloading;
  }

  close(): void {
    this.closed = true;
    if (this.debounce) clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
    if (this.polling) unwatchFile(this.path, this.polling);
    this.polling = undefined;
  }

  private async doReload(): Promise<void> {
    if (this.closed) return;
    const previous = this.current.version;
    try {
      const next = await loadFrom(this.path);
      if (this.closed) return;
      const changed = next.version !== previous;
      if (changed) {
        this.current = next;
        this.opts.logger.info({ policyVersion: next.version, previousVersion: previous }, 'authorization policy reloaded');
      }
      this.opts.onReload?.({ ok: true, version: this.current.version, changed });
    } catch (err) {
      const error = err instanceof Error ? err.name : typeof err;
      this.opts.logger.warn({ policyVersion: previous, err: error }, 'authorization policy reload failed; keeping the previous policy');
      this.opts.onReload?.({ ok: false, version: previous, error });
    }
  }

  /** A reload after the debounce (several events of one replacement make one reload). */
  private scheduleReload(): void {
    if (this.closed) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload(), this.opts.reloadDebounceMs ?? DEFAULT_RELOAD_DEBOUNCE_MS);
    this.debounce.unref();
  }

  /**
   * Watches the directory (survives atomic rename-replace of the file), filtered by file
   * name, and polls the file's status (symlink swaps, filesystems without events). A reload
   * of unchanged bytes changes nothing, so both firing for one change is harmless.
   */
  private startWatching(): void {
    const file = basename(this.path);
    this.watcher = watch(dirname(this.path), { persistent: false }, (_event, name) => {
      if (name !== null && name !== file) return;
      this.scheduleReload();
    });
    this.watcher.on('error', (err) => {
      this.opts.logger.warn({ err: err.name }, 'authorization policy watcher failed; polling continues');
    });
    const interval = this.opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (interval > 0) {
      this.polling = (curr, prev) => {
        if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino || curr.dev !== prev.dev) this.scheduleReload();
      };
      watchFile(this.path, { interval, persistent: false }, this.polling);
    }
  }
}
