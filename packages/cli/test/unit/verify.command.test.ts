import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AUDIT_EXPORT_FORMAT,
  DELETION_CERTIFICATE_TYPE,
  DELETION_CERTIFICATE_VERSION,
  canonicalBytes,
  canonicalJson,
  chainAuditEvent,
  checkpointSigningBytes,
  exportCheckpoint,
  exportEvent,
  type AuditEvent,
} from '@confide/lifecycle-service';
import { CERTIFICATE_KEYS_PATH, verifyAuditCommand, verifyCertificateCommand } from '../../src/verify/verify.command';

let dir: string;
let privateKey: KeyObject;
let keysFile: string;
let keysDoc: Record<string, unknown>;
let otherKeysFile: string;

const signature = (data: Buffer, key = privateKey): string => `confide:v1:${sign(null, data, key).toString('base64')}`;

function keysOf(publicKey: KeyObject): Record<string, unknown> {
  return {
    key_name: 'confide-signing',
    algorithm: 'ed25519',
    keys: [{ version: 1, public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), public_key_base64: '', created_at: '2026-01-01T00:00:00.000Z' }],
  };
}

function certificate(): Record<string, unknown> {
  const body = {
    type: DELETION_CERTIFICATE_TYPE,
    version: DELETION_CERTIFICATE_VERSION,
    certificate_id: 'c-1',
    tenant_id: 't1',
    subject: { kind: 'tenant' },
    erased: { meetings: 2, segments: 10000, alerts: 3, reports: 2, data_keys: 2 },
    crypto_erased_at: '2026-01-01T00:00:00.000Z',
    purged_at: '2026-01-01T00:00:01.000Z',
    requested_by: 'u-owner',
    reason: 'offboarding',
    issued_at: '2026-01-01T00:00:02.000Z',
    signing_key_name: 'confide-signing',
    signing_key_version: 1,
    method: { crypto_erasure: 'tenant key destroyed in the KMS', destroyed_keys: ['kms:confide-tenant-t1'] },
  };
  return { ...body, signature: signature(canonicalBytes(body)) };
}

/** A 5-entry export with a signed checkpoint at seq 5; `mutate` edits the event lines first. */
function auditExport(mutate: (events: AuditEvent[]) => AuditEvent[] = (e) => e): string {
  let events: AuditEvent[] = [];
  let prev: AuditEvent | undefined;
  for (let i = 1; i <= 5; i++) {
    prev = chainAuditEvent(
      { tenantId: 't1', occurredAtMs: 1_767_225_600_000 + i, actor: `u-${i}`, action: 'transcript:read', resource: `meeting/m${i}`, decision: 'allow', outcome: '', obligations: ['audit'] },
      prev,
    );
    events.push(prev);
  }
  const head = events[4]!;
  const cp = { tenantId: 't1', seq: 5, headHash: head.hash, signedAtMs: 1_767_225_600_100, keyVersion: 1 };
  const checkpoint = { ...cp, signature: signature(checkpointSigningBytes(cp)) };
  events = mutate(events);
  const header = { type: 'header', format: AUDIT_EXPORT_FORMAT, version: 1, tenant_id: 't1', exported_at_ms: 1_767_225_700_000, signing_key_name: 'confide-signing' };
  return [header, ...events.map(exportEvent), exportCheckpoint(checkpoint)].map((l) => canonicalJson(l)).join('\n') + '\n';
}

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confide-verify-'));
  const pair = generateKeyPairSync('ed25519');
  privateKey = pair.privateKey;
  keysDoc = keysOf(pair.publicKey);
  keysFile = await write('keys.json', JSON.stringify(keysDoc));
  otherKeysFile = await write('other-keys.json', JSON.stringify(keysOf(generateKeyPairSync('ed25519').publicKey)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('confide certificate verify', () => {
  it('exit 0 for a certificate signed by a published key (the document or the API answer carrying it)', async () => {
    const file = await write('cert.json', canonicalJson(certificate()));
    const ok = await verifyCertificateCommand(file, { keys: keysFile });
    expect(ok.exitCode).toBe(0);
    expect(ok.lines[0]).toMatch(/^VALID: certificate c-1 \(tenant t1, subject tenant/);
    const answer = await write('answer.json', JSON.stringify({ tenantId: 't1', certificateId: 'c-1', certificate: certificate() }));
    expect((await verifyCertificateCommand(answer, { keys: keysFile })).exitCode).toBe(0);
  });

  it('exit 1 when one byte of the document or of the signature changes, or with another key', async () => {
    const doc = canonicalJson(certificate());
    const changedCount = await write('changed.json', doc.replace('"segments":10000', '"segments":10001'));
    expect(await verifyCertificateCommand(changedCount, { keys: keysFile })).toEqual({ exitCode: 1, lines: ['INVALID: certificate c-1: signature invalid'] });
    const c = certificate();
    const sig = c.signature as string;
    // One bit of the signature bytes (decoded, flipped, re-encoded: changing a base64 character can
    // land in its padding bits and change nothing). A scheme prefix ("vault:v1:") is kept as is.
    const cut = sig.lastIndexOf(':') + 1;
    const bytes = Buffer.from(sig.slice(cut), 'base64');
    bytes[10] = bytes[10]! ^ 0x01;
    const flipped = `${sig.slice(0, cut)}${bytes.toString('base64')}`;
    const changedSig = await write('changed-sig.json', canonicalJson({ ...c, signature: flipped }));
    expect((await verifyCertificateCommand(changedSig, { keys: keysFile })).exitCode).toBe(1);
    expect((await verifyCertificateCommand(await write('c.json', doc), { keys: otherKeysFile })).exitCode).toBe(1);
    expect((await verifyCertificateCommand(await write('junk.json', 'not json'), { keys: keysFile })).lines[0]).toMatch(/^INVALID/);
    expect((await verifyCertificateCommand(join(dir, 'missing.json'), { keys: keysFile })).exitCode).toBe(1);
  });

  it('a URL: fetches the certificate with the token and the keys from the platform\'s well-known URL', async () => {
    const seen: Array<{ url: string; auth: string | undefined }> = [];
    const fakeFetch = (async (url: string | URL, init?: RequestInit) => {
      const u = url.toString();
      seen.push({ url: u, auth: (init?.headers as Record<string, string>)?.Authorization });
      const body = u.endsWith(CERTIFICATE_KEYS_PATH) ? JSON.stringify(keysDoc) : canonicalJson(certificate());
      return new Response(body, { status: 200 });
    }) as typeof fetch;
    const ok = await verifyCertificateCommand('http://confide.test:8080/api/certificates/c-1', {}, { fetch: fakeFetch, token: 'tok' });
    expect(ok.exitCode).toBe(0);
    expect(seen).toEqual([
      { url: 'http://confide.test:8080/api/certificates/c-1', auth: 'Bearer tok' },
      { url: `http://confide.test:8080${CERTIFICATE_KEYS_PATH}`, auth: undefined },
    ]);
    const down = (async () => new Response('', { status: 503 })) as unknown as typeof fetch;
    expect((await verifyCertificateCommand('http://confide.test/api/certificates/c-1', {}, { fetch: down })).lines[0]).toMatch(/HTTP 503/);
  });
});

describe('confide audit verify', () => {
  it('exit 0 for an intact export', async () => {
    const out = await verifyAuditCommand(await write('audit.jsonl', auditExport()), { keys: keysFile });
    expect(out.exitCode).toBe(0);
    expect(out.lines[0]).toMatch(/^VALID: tenant t1: 5 entries \(seq 1-5\), 1 signed checkpoints/);
  });

  it('names the first modified entry', async () => {
    const text = auditExport((events) => events.map((e) => (e.seq === 3 ? { ...e, actor: 'someone-else' } : e)));
    const out = await verifyAuditCommand(await write('modified.jsonl', text), { keys: keysFile });
    expect(out.exitCode).toBe(1);
    expect(out.lines[0]).toBe('INVALID: tenant t1: first modified entry: entry seq 3 (line 4) was modified: its hash does not match its content');
  });

  it('names the first removed entry', async () => {
    const out = await verifyAuditCommand(await write('removed.jsonl', auditExport((events) => events.filter((e) => e.seq !== 2))), { keys: keysFile });
    expect(out.exitCode).toBe(1);
    expect(out.lines[0]).toBe('INVALID: tenant t1: first removed entry: entry seq 2 removed (before line 3)');
  });

  it('names the first reordered entry (lines swapped, or seq numbers swapped in the database)', async () => {
    const swapped = auditExport((events) => [events[0]!, events[2]!, events[1]!, events[3]!, events[4]!]);
    const out = await verifyAuditCommand(await write('swapped.jsonl', swapped), { keys: keysFile });
    expect(out.exitCode).toBe(1);
    expect(out.lines[0]).toBe('INVALID: tenant t1: first reordered entry: entry seq 2 appears after seq 3 (line 4)');
    const renumbered = auditExport((events) => [events[0]!, { ...events[2]!, seq: 2 }, { ...events[1]!, seq: 3 }, events[3]!, events[4]!]);
    const db = await verifyAuditCommand(await write('renumbered.jsonl', renumbered), { keys: keysFile });
    expect(db.lines[0]).toBe('INVALID: tenant t1: first reordered entry: entry seq 3 was moved to position seq 2 (line 3)');
  });

  it('exit 1 with keys that did not sign the checkpoints, and without a readable keys file', async () => {
    const file = await write('audit2.jsonl', auditExport());
    const other = await verifyAuditCommand(file, { keys: otherKeysFile });
    expect(other.exitCode).toBe(1);
    expect(other.lines[0]).toMatch(/^INVALID: tenant t1: first checkpoint entry/);
    expect((await verifyAuditCommand(file, { keys: join(dir, 'nope.json') })).exitCode).toBe(1);
  });
});
