// In-process WASM policy decisions vs the same bundle behind `opa run --server` over HTTP.
/* global process, performance, fetch, setTimeout */
// Usage: pnpm build && node bench/policy/policy.bench.mjs [N]   (writes bench/results/policy.json)
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'packages/platform/package.json'));
const { PolicyEvaluator, createLogger } = require(path.join(root, 'packages/platform/dist/index.js'));
const N = Number(process.argv[2] ?? 5000);
const opaBin = process.env.OPA ?? path.join(root, '.tools/bin/opa');
// The pinned opa binary is built without the wasm engine, so `opa run --bundle policies/dist/bundle.tar.gz`
// refuses the bundle's policy.wasm ("engine not found"). It serves the rego sources the bundle was built
// from instead (bundle.sha256 pins them); the golden cases are checked to decide identically below.
const regoSources = readdirSync(path.join(root, 'policies/authz'))
  .filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'))
  .map((f) => path.join(root, 'policies/authz', f));

const golden = JSON.parse(readFileSync(path.join(root, 'policies/authz/testdata/decisions.json'), 'utf8')).cases.map((c) => c.input);
const inputs = Array.from({ length: N }, (_, i) => golden[i % golden.length]);

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const stats = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50Us: +(pct(s, 50) * 1000).toFixed(1), p99Us: +(pct(s, 99) * 1000).toFixed(1), meanUs: +((s.reduce((a, b) => a + b, 0) / s.length) * 1000).toFixed(1) };
};
const freePort = () => new Promise((resolve) => { const srv = createServer(); srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); }); });

const evaluator = await PolicyEvaluator.load({ logger: createLogger({ service: 'bench', level: 'silent' }), watch: false });
for (let i = 0; i < 500; i += 1) evaluator.evaluate(inputs[i % inputs.length]);
const wasm = [];
for (const input of inputs) { const t = performance.now(); evaluator.evaluate(input); wasm.push(performance.now() - t); }
const wasmDecisions = golden.map((input) => evaluator.evaluate(input));
evaluator.close();

const port = await freePort();
const opa = spawn(opaBin, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--log-level', 'error', ...regoSources], { stdio: ['ignore', 'ignore', 'inherit'] });
let opaExit;
opa.on('exit', (code) => { opaExit = code; });
const url = `http://127.0.0.1:${port}/v1/data/confide/authz/decision`;
const ask = async (input) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input }) });
  if (!res.ok) throw new Error(`opa answered ${res.status}`);
  return (await res.json()).result;
};
try {
  for (let i = 0; ; i += 1) { try { await ask(inputs[0]); break; } catch (err) { if (i > 100 || opaExit !== undefined) throw err; await new Promise((r) => setTimeout(r, 100)); } }
  // Both paths must decide the same.
  for (const [i, input] of golden.entries()) {
    const { allow, reasons, obligations } = await ask(input);
    if (JSON.stringify({ allow, reasons, obligations }) !== JSON.stringify(wasmDecisions[i])) throw new Error(`WASM and opa disagree on golden case ${i}`);
  }
  for (let i = 0; i < 500; i += 1) await ask(inputs[i % inputs.length]);
  const http = [];
  for (const input of inputs) { const t = performance.now(); await ask(input); http.push(performance.now() - t); }
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    evaluations: N,
    inputs: `mix of the ${golden.length} golden cases (policies/authz/testdata/decisions.json)`,
    opaServerPolicy: 'policies/authz/*.rego (the bundle sources; the pinned opa has no wasm engine), golden decisions checked equal',
    wasmInProcess: stats(wasm),
    opaServerHttp: stats(http),
  };
  result.ratioP50 = +(result.opaServerHttp.p50Us / result.wasmInProcess.p50Us).toFixed(1);
  result.ratioP99 = +(result.opaServerHttp.p99Us / result.wasmInProcess.p99Us).toFixed(1);
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, 'bench/results/policy.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `policy decision latency over ${N} evaluations\n` +
      `  in-process WASM : p50 ${result.wasmInProcess.p50Us} us  p99 ${result.wasmInProcess.p99Us} us\n` +
      `  opa run (HTTP)  : p50 ${result.opaServerHttp.p50Us} us  p99 ${result.opaServerHttp.p99Us} us\n` +
      `  ratio (HTTP / WASM): p50 x${result.ratioP50}  p99 x${result.ratioP99}\n`,
  );
} finally {
  opa.kill('SIGTERM');
}
