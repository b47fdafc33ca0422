import { generateKeyPairSync, sign } from 'node:crypto';
import { chainAuditEvent, checkpointSigningBytes, exportCheckpoint, exportEvent, type AuditEvent } from '../../src/domain/audit-chain';
import { canonicalJson } from '../../src/domain/canonical-json';
import { verifyAuditExport } from '../../src/domain/audit-export.verifier';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const keys = [{ version: 1, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }];
const TENANT = 't1';

function build(n: number, checkpointAt: number[]): string[] {
  const events: AuditEvent[] = [];
  for (let i = 0; i < n; i++) {
    events.push(
      chainAuditEvent(
        { tenantId: TENANT, occurredAtMs: 1000 + i, actor: `u${i}`, action: 'meeting:read', resource: `meeting/${i}`, decision: i === 2 ? 'deny' : 'allow', outcome: i === 2 ? '' : 'success', obligations: ['audit'] },
        events[i - 1],
      ),
    );
  }
  const lines = [canonicalJson({ type: 'header', format: 'confide.audit-export', version: 1, tenant_id: TENANT, exported_at_ms: 1, signing_key_name: 'confide-signing' })];
  for (const e of events) {
    lines.push(canonicalJson(exportEvent(e)));
    if (checkpointAt.includes(e.seq)) {
      const signedAtMs = 5000 + e.seq;
      const raw = sign(null, checkpointSigningBytes({ tenantId: TENANT, seq: e.seq, headHash: e.hash, signedAtMs }), privateKey);
      lines.push(canonicalJson(exportCheckpoint({ tenantId: TENANT, seq: e.seq, headHash: e.hash, signedAtMs, keyVersion: 1, signature: `local:v1:${raw.toString('base64')}` })));
    }
  }
  return lines;
}

const codes = (lines: string[]) => verifyAuditExport(lines, keys).errors.map((e) => e.code);
const edit = (line: string, patch: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(line), ...patch });

describe('verifyAuditExport', () => {
  it('accepts an intact export and reports the unsigned tail', () => {
    const result = verifyAuditExport(build(5, [3]), keys);
    expect(result).toMatchObject({ ok: true, tenantId: TENANT, events: 5, lastSeq: 5, checkpoints: 1, checkpointedThroughSeq: 3, unsignedTail: 2, errors: [] });
    expect(verifyAuditExport(build(5, [3]).join('\n') + '\n', keys).ok).toBe(true);
  });

  it('detects a modified, removed, reordered or inserted event', () => {
    const lines = build(5, [5]);
    const modified = [...lines];
    modified[2] = edit(lines[2]!, { action: 'meeting:delete' });
    expect(codes(modified)).toEqual(['hash-mismatch']);

    const removed = lines.filter((_, i) => i !== 2);
    expect(codes(removed)).toEqual(['sequence-break', 'chain-break']);

    const reordered = [lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)];
    expect(codes(reordered)).toEqual(expect.arrayContaining(['sequence-break', 'chain-break']));

    const inserted = [...lines.slice(0, 3), lines[2]!, ...lines.slice(3)];
    expect(codes(inserted)).toEqual(expect.arrayContaining(['sequence-break', 'chain-break']));
  });

  it('detects a bad checkpoint: wrong signature, unknown key, head not in the export', () => {
    const lines = build(3, [3]);
    const cp = lines.length - 1;
    expect(codes([...lines.slice(0, cp), edit(lines[cp]!, { signed_at_ms: 1 })])).toEqual(['bad-signature']);
    expect(codes([...lines.slice(0, cp), edit(lines[cp]!, { key_version: 2 })])).toEqual(['bad-signature']);
    expect(verifyAuditExport(lines, []).errors.map((e) => e.code)).toEqual(['unknown-key-version']);
    // Checkpoint kept, its event dropped (a truncated tail): the signed head is not in the export.
    expect(codes([...lines.slice(0, cp - 1), lines[cp]!])).toEqual(['checkpoint-mismatch']);
  });

  it('requires the header and one tenant', () => {
    const lines = build(2, []);
    expect(codes(lines.slice(1))).toContain('missing-header');
    expect(codes([lines[0]!, edit(lines[1]!, { tenant_id: 't2' }), lines[2]!])).toEqual(['tenant-mismatch', 'hash-mismatch']);
    expect(codes([...lines, 'not json'])).toEqual(['malformed-line']);
    expect(verifyAuditExport('', keys).ok).toBe(false);
  });
});
