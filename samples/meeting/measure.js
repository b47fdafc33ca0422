// Measures pocketsphinx word error rate on meeting.wav, per speaker channel.
// Usage: pnpm build && pnpm native:build && node samples/meeting/measure.js [meeting.json]
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const { readWavFile, werDetails } = require('../../packages/testing/dist');

const manifestPath = path.resolve(process.argv[2] || path.join(__dirname, 'meeting.json'));
const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
const audio = readWavFile(path.join(path.dirname(manifestPath), manifest.audio.file));
const bin = path.join(__dirname, '../../services/transcription/native/bin/ps-stream');

let errors = 0;
let words = 0;
for (const p of manifest.participants) {
  const run = spawnSync(bin, [], { input: audio.channels[p.channel], maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`ps-stream exited with ${run.status}: ${run.stderr}`);
  const finals = run.stdout.toString().trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'final');
  const hyp = finals.map((f) => f.text).join(' ');
  const d = werDetails(p.referenceText, hyp);
  errors += d.substitutions + d.deletions + d.insertions;
  words += d.referenceWords;
  console.log(`${p.id} (${p.voice}): WER ${(d.wer * 100).toFixed(1)}% (S${d.substitutions} D${d.deletions} I${d.insertions} / ${d.referenceWords} words, ${finals.length} finals)`);
  if (process.env.VERBOSE) console.log(`  hyp: ${hyp}`);
}
console.log(`overall: WER ${((errors / words) * 100).toFixed(1)}% (${errors} errors / ${words} words)`);
