import { readFile } from 'node:fs/promises';
import { locateFirstTampering, verifyAuditExport, verifyDeletionCertificate, type PublishedSigningKeys } from '@confide/lifecycle-service';

/** Where a platform publishes its certificate keys (relative to its REST base URL). */
export const CERTIFICATE_KEYS_PATH = '/.well-known/confide/certificate-keys';

/** A verification's outcome: exit code 0 (valid) or 1 (invalid or unreadable), and what to print. */
export interface VerifyOutcome {
  exitCode: 0 | 1;
  lines: string[];
}

export interface VerifyIo {
  /** Default: global fetch. */
  fetch?: typeof fetch;
  /** Bearer token for a certificate URL (GET /api/certificates/:id needs one). */
  token?: string;
}

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

async function fetchText(url: string, io: VerifyIo, bearer = false): Promise<string> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (bearer && io.token) headers.Authorization = `Bearer ${io.token}`;
  const res = await (io.fetch ?? fetch)(url, { headers, signal: AbortSignal.timeout(15_000) });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  return res.text();
}

/** The public keys: a file (`--keys`), a URL, or the well-known URL of `fromUrl`'s origin. */
export async function loadPublicKeys(source: { keys?: string; fromUrl?: string }, io: VerifyIo = {}): Promise<PublishedSigningKeys> {
  let text: string;
  if (source.keys !== undefined) text = isUrl(source.keys) ? await fetchText(source.keys, io) : await readFile(source.keys, 'utf8');
  else if (source.fromUrl !== undefined) text = await fetchText(new URL(CERTIFICATE_KEYS_PATH, source.fromUrl).toString(), io);
  else throw new Error('no public keys: pass --keys <file|url>');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('the public keys are not JSON');
  }
  const keys = doc as PublishedSigningKeys;
  if (!keys || !Array.isArray(keys.keys) || keys.keys.length === 0) throw new Error('the public keys document has no keys');
  return keys;
}

/** The certificate document: the signed JSON itself, or an API answer that carries it (`certificate`). */
function certificateOf(text: string): unknown {
  const doc = JSON.parse(text) as Record<string, unknown>;
  if (doc && typeof doc === 'object' && doc.signature === undefined && doc.certificate && typeof doc.certificate === 'object') return doc.certificate;
  return doc;
}

/**
 * `confide certificate verify <file|url>`: verifies a deletion certificate with nothing but the
 * public keys (ed25519 over the canonical JSON, RFC 8785). A URL is fetched (with `token`); the
 * keys come from `--keys` or, for a URL, from the platform's well-known URL.
 */
export async function verifyCertificateCommand(target: string, opts: { keys?: string }, io: VerifyIo = {}): Promise<VerifyOutcome> {
  try {
    const text = isUrl(target) ? await fetchText(target, io, true) : await readFile(target, 'utf8');
    const keys = await loadPublicKeys({ ...(opts.keys !== undefined ? { keys: opts.keys } : {}), ...(isUrl(target) ? { fromUrl: target } : {}) }, io);
    let certificate: unknown;
    try {
      certificate = certificateOf(text);
    } catch {
      return { exitCode: 1, lines: ['INVALID: the certificate is not JSON'] };
    }
    const result = verifyDeletionCertificate(certificate, keys);
    if (result.ok) {
      const c = certificate as { tenant_id?: string; subject?: { kind?: string }; signing_key_version?: number; issued_at?: string };
      return {
        exitCode: 0,
        lines: [`VALID: certificate ${result.certificateId} (tenant ${c.tenant_id ?? '?'}, subject ${c.subject?.kind ?? '?'}, issued ${c.issued_at ?? '?'}) signed by ${keys.key_name} v${c.signing_key_version ?? '?'}`],
      };
    }
    return { exitCode: 1, lines: [`INVALID: certificate ${result.certificateId || '(no id)'}: signature ${result.signature}`] };
  } catch (err) {
    return { exitCode: 1, lines: [`ERROR: ${(err as Error).message}`] };
  }
}

/**
 * `confide audit verify <export.jsonl> --keys keys.json`: verifies an audit export offline and
 * names the first entry that was modified, removed, inserted or reordered.
 */
export async function verifyAuditCommand(file: string, opts: { keys?: string }, io: VerifyIo = {}): Promise<VerifyOutcome> {
  try {
    const text = await readFile(file, 'utf8');
    const keys = await loadPublicKeys(opts.keys !== undefined ? { keys: opts.keys } : {}, io);
    const result = verifyAuditExport(text, keys);
    if (result.ok) {
      return {
        exitCode: 0,
        lines: [
          `VALID: tenant ${result.tenantId}: ${result.events} entries (seq 1-${result.lastSeq}), ${result.checkpoints} signed checkpoints, head ${result.headHash}`,
          ...(result.unsignedTail > 0 ? [`note: the last ${result.unsignedTail} entries are after the last signed checkpoint (chained, not yet signed)`] : []),
        ],
      };
    }
    const first = locateFirstTampering(text, keys);
    return {
      exitCode: 1,
      lines: [
        `INVALID: tenant ${result.tenantId || '?'}: ${first ? `first ${first.kind} entry: ${first.message}` : 'the export does not verify'}`,
        ...result.errors.slice(0, 20).map((e) => `  line ${e.line}: ${e.code}: ${e.message}`),
        ...(result.errors.length > 20 ? [`  ... ${result.errors.length - 20} more`] : []),
      ],
    };
  } catch (err) {
    return { exitCode: 1, lines: [`ERROR: ${(err as Error).message}`] };
  }
}
