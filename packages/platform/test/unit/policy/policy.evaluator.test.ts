import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  buildPolicyInput,
  createLogger,
  enforceDecision,
  EVALUATION_ERROR_REASON,
  findPolicyBundle,
  LoggingDecisionAuditor,
  parseDecision,
  PolicyEvaluator,
  type Decision,
  type DecisionAuditor,
  type PolicyInput,
  type ReloadOutcome,
} from '@confide/platform';

const REPO = path.resolve(__dirname, '../../../../..');
const BUNDLE = path.join(REPO, 'policies/dist/policy.wasm');
const golden = JSON.parse(readFileSync(path.join(REPO, 'policies/authz/testdata/decisions.json'), 'utf8')) as {
  cases: Array<{ name: string; input: PolicyInput; decision: Decision }>;
};

function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ service: 'test', level: 'debug', destination }), lines };
}

const adminRead = buildPolicyInput({
  subject: { id: 'u-admin', tenant: 't1', roles: ['admin'], kind: 'user', mfa: false },
  action: 'transcript:read',
  resource: { tenant: 't1', owner: 'u-other', meeting: 'm1', kind: 'meeting' },
  now: 1764000000000,
});

/** A valid WASM module with different bytes: the bundle plus a custom section (id 0). */
function withCustomSection(bytes: Buffer, label: string): Buffer {
  const name = Buffer.from('confide-test');
  const payload = Buffer.concat([Buffer.from([name.length]), name, Buffer.from(label)]);
  if (payload.length > 127) throw new Error('label too long for a one-byte LEB128 size');
  return Buffer.concat([bytes, Buffer.from([0, payload.length]), payload]);
}

describe('PolicyEvaluator', () => {
  let evaluator: PolicyEvaluator;

  beforeAll(async () => {
    evaluator = await PolicyEvaluator.load({ logger: captureLogger().logger, watch: false });
  });
  afterAll(() => evaluator.close());

  it('finds the repository bundle like findProtoRoot finds proto/', () => {
    expect(findPolicyBundle(__dirname)).toBe(BUNDLE);
    expect(findPolicyBundle(os.tmpdir())).toBeUndefined();
    expect(evaluator.version).toMatch(/^[0-9a-f]{64}$/);
  });

  it('has golden cases to check', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(golden.cases.map((c) => [c.name, c] as const))('golden: %s', (_name, c) => {
    const decision = evaluator.evaluate(c.input);
    expect(decision).toEqual({ allow: c.decision.allow, reasons: c.decision.reasons, obligations: c.decision.obligations });
  });

  it('fails closed on an input the policy cannot take', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const decision = evaluator.evaluate(cyclic as unknown as PolicyInput);
    expect(decision).toEqual({ allow: false, reasons: [EVALUATION_ERROR_REASON], obligations: ['audit'] });
  });

  it('rejects malformed result sets', () => {
    expect(parseDecision([{ result: { allow: true, reasons: ['x'], obligations: [] } }])).toEqual({ allow: true, reasons: ['x'], obligations: [] });
    expect(parseDecision([])).toBeUndefined();
    expect(parseDecision([{ result: { allow: 'true', reasons: [], obligations: [] } }])).toBeUndefined();
    expect(parseDecision([{ result: { allow: true, reasons: [1], obligations: [] } }])).toBeUndefined();
    expect(parseDecision([{ result: { allow: true, reasons: [] } }])).toBeUndefined();
    expect(parseDecision([{ result: { allow: true, reasons: [], obligations: [] } }, { result: {} }])).toBeUndefined();
    expect(parseDecision(undefined)).toBeUndefined();
  });

  it('refuses to start without a loadable policy', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'confide-policy-'));
    try {
      writeFileSync(path.join(dir, 'policy.wasm'), 'not wasm');
      await expect(PolicyEvaluator.load({ logger: captureLogger().logger, path: path.join(dir, 'policy.wasm'), watch: false })).rejects.toThrow();
      await expect(PolicyEvaluator.load({ logger: captureLogger().logger, path: path.join(dir, 'absent.wasm'), watch: false })).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PolicyEvaluator reload', () => {
  let dir: string;
  let file: string;
  let evaluator: PolicyEvaluator | undefined;
  let outcomes: ReloadOutcome[];
  let waiters: Array<(o: ReloadOutcome) => void>;

  const nextOutcome = (predicate: (o: ReloadOutcome) => boolean): Promise<ReloadOutcome> =>
    new Promise((resolve) => {
      const found = outcomes.find(predicate);
      if (found) resolve(found);
      else waiters.push((o) => predicate(o) && resolve(o));
    });

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'confide-policy-'));
    file = path.join(dir, 'policy.wasm');
    copyFileSync(BUNDLE, file);
    outcomes = [];
    waiters = [];
  });
  afterEach(() => {
    evaluator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const load = async (logger = captureLogger().logger) => {
    evaluator = await PolicyEvaluator.load({
      logger,
      path: file,
      reloadDebounceMs: 50,
      onReload: (o) => {
        outcomes.push(o);
        for (const w of waiters) w(o);
      },
    });
    return evaluator;
  };

  it('reloads when the file is replaced', async () => {
    const { logger, lines } = captureLogger();
    const ev = await load(logger);
    const before = ev.version;
    const tmp = path.join(dir, 'policy.wasm.tmp');
    writeFileSync(tmp, withCustomSection(readFileSync(BUNDLE), 'v2'));
    renameSync(tmp, file);
    const outcome = await nextOutcome((o) => o.ok && o.changed);
    expect(outcome.version).not.toBe(before);
    expect(ev.version).toBe(outcome.version);
    expect(ev.evaluate(adminRead)).toEqual({ allow: true, reasons: ['role:admin'], obligations: ['audit'] });
    const reloaded = lines.find((l) => l.msg === 'authorization policy reloaded');
    expect(reloaded).toMatchObject({ policyVersion: outcome.version, previousVersion: before });
  });

  it('reloads when a Kubernetes-style ..data symlink swap replaces the file (polling)', async () => {
    // ConfigMap volume layout: policy.wasm -> ..data/policy.wasm, ..data -> a versioned dir.
    const mount = path.join(dir, 'mount');
    mkdirSync(path.join(mount, 'v1'), { recursive: true });
    copyFileSync(BUNDLE, path.join(mount, 'v1', 'policy.wasm'));
    symlinkSync('v1', path.join(mount, '..data'));
    symlinkSync(path.join('..data', 'policy.wasm'), path.join(mount, 'policy.wasm'));
    evaluator = await PolicyEvaluator.load({
      logger: captureLogger().logger,
      path: path.join(mount, 'policy.wasm'),
      reloadDebounceMs: 20,
      pollIntervalMs: 50,
      onReload: (o) => {
        outcomes.push(o);
        for (const w of waiters) w(o);
      },
    });
    const before = evaluator.version;
    mkdirSync(path.join(mount, 'v2'));
    writeFileSync(path.join(mount, 'v2', 'policy.wasm'), withCustomSection(readFileSync(BUNDLE), 'v2'));
    symlinkSync('v2', path.join(mount, '..data_tmp'));
    renameSync(path.join(mount, '..data_tmp'), path.join(mount, '..data'));
    const outcome = await nextOutcome((o) => o.ok && o.changed);
    expect(outcome.version).not.toBe(before);
    expect(evaluator.version).toBe(outcome.version);
    expect(evaluator.evaluate(adminRead).allow).toBe(true);
  });

  it('stops watching and polling when closed', async () => {
    const ev = await PolicyEvaluator.load({
      logger: captureLogger().logger,
      path: file,
      reloadDebounceMs: 10,
      pollIntervalMs: 20,
      onReload: (o) => outcomes.push(o),
    });
    ev.close();
    writeFileSync(file, withCustomSection(readFileSync(BUNDLE), 'after-close'));
    await new Promise((r) => setTimeout(r, 200));
    expect(outcomes).toEqual([]);
  });

  it('keeps the previous policy when the new file is corrupt', async () => {
    const ev = await load();
    const before = ev.version;
    writeFileSync(file, Buffer.from('\0asm garbage that is not a module'));
    const outcome = await nextOutcome((o) => !o.ok);
    expect(outcome).toMatchObject({ ok: false, version: before });
    expect(ev.version).toBe(before);
    expect(ev.evaluate(adminRead).allow).toBe(true);
  });

  it('keeps the previous policy when the file is truncated to nothing, and an explicit reload of the same bytes changes nothing', async () => {
    const ev = await load();
    const before = ev.version;
    writeFileSync(file, '');
    await nextOutcome((o) => !o.ok);
    expect(ev.version).toBe(before);
    copyFileSync(BUNDLE, file);
    await nextOutcome((o) => o.ok);
    await ev.reload();
    expect(outcomes.filter((o) => o.ok).every((o) => !o.changed && o.version === before)).toBe(true);
  });
});

describe('enforceDecision', () => {
  let evaluator: PolicyEvaluator;
  beforeAll(async () => {
    evaluator = await PolicyEvaluator.load({ logger: captureLogger().logger, watch: false });
  });
  afterAll(() => evaluator.close());

  class RecordingAuditor implements DecisionAuditor {
    readonly records: Array<{ decision: Decision; input: unknown }> = [];
    async record(decision: Decision, input: unknown): Promise<void> {
      this.records.push({ decision, input });
    }
  }
  const failing: DecisionAuditor = { record: async () => Promise.reject(new Error('audit log down')) };

  it('audits a content read and allows it', async () => {
    const auditor = new RecordingAuditor();
    const result = await enforceDecision(evaluator, auditor, adminRead);
    expect(result).toMatchObject({ allowed: true });
    expect(auditor.records).toHaveLength(1);
    expect(auditor.records[0].input).toEqual({
      subjectId: 'u-admin',
      subjectKind: 'user',
      subjectTenant: 't1',
      action: 'transcript:read',
      resourceTenant: 't1',
      resourceMeeting: 'm1',
      resourceKind: 'meeting',
      grantIds: [],
    });
  });

  it('does not audit a list (no obligation)', async () => {
    const auditor = new RecordingAuditor();
    const input = buildPolicyInput({ ...adminRead, action: 'meeting:list', resource: { tenant: 't1', kind: 'tenant' }, now: 1 });
    expect(await enforceDecision(evaluator, auditor, input)).toMatchObject({ allowed: true });
    expect(auditor.records).toHaveLength(0);
  });

  it('refuses an allow when the auditor throws', async () => {
    const result = await enforceDecision(evaluator, failing, adminRead);
    expect(result).toMatchObject({ allowed: false, refusal: 'audit-failed', decision: { allow: true } });
  });

  it('records denials, and a denial stays denied when the auditor throws', async () => {
    const auditor = new RecordingAuditor();
    const other = buildPolicyInput({ ...adminRead, resource: { ...adminRead.resource, tenant: 't2' }, now: 1 });
    expect(await enforceDecision(evaluator, auditor, other)).toMatchObject({ allowed: false, refusal: 'denied' });
    expect(auditor.records[0].decision.reasons).toContain('tenant-isolation');
    expect(await enforceDecision(evaluator, failing, other)).toMatchObject({ allowed: false, refusal: 'denied' });
  });

  it('refuses an allow carrying an obligation it does not know', async () => {
    const auditor = new RecordingAuditor();
    const fake = { evaluate: (): Decision => ({ allow: true, reasons: ['r'], obligations: ['notify-dpo'] }) };
    expect(await enforceDecision(fake, auditor, adminRead)).toMatchObject({ allowed: false, refusal: 'obligation-unsupported' });
    expect(auditor.records).toHaveLength(1);
  });

  it('LoggingDecisionAuditor logs ids and rule names only', async () => {
    const { logger, lines } = captureLogger();
    await enforceDecision(evaluator, new LoggingDecisionAuditor(logger), adminRead);
    expect(lines).toHaveLength(1);
    expect(lines[0].audit).toMatchObject({ allow: true, reasons: ['role:admin'], subjectId: 'u-admin', resourceMeeting: 'm1', staffAccess: false });
  });
});
