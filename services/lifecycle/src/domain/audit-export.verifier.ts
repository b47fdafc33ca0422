import {
  AUDIT_EXPORT_FORMAT,
  GENESIS_HASH,
  checkpointSigningBytes,
  hashAuditEvent,
  type AuditDecision,
  type AuditOutcome,
} from './audit-chain';
import { checkSignature, type PublicKeyInput } from './signing';

export type AuditVerificationCode =
  | 'malformed-line'
  | 'missing-header'
  | 'tenant-mismatch'
  | 'sequence-break'
  | 'chain-break'
  | 'hash-mismatch'
  | 'checkpoint-mismatch'
  | 'bad-signature'
  | 'unknown-key-version';

export interface AuditVerificationError {
  /** 1-based line number in the export. */
  line: number;
  code: AuditVerificationCode;
  /** Names fields and positions only. */
  message: string;
}

export interface AuditVerificationResult {
  ok: boolean;
  tenantId: string;
  events: number;
  lastSeq: number;
  headHash: string;
  checkpoints: number;
  /** Highest seq covered by a valid checkpoint signature (0: none). */
  checkpointedThroughSeq: number;
  /** Events after the last valid checkpoint: their removal from the end would not be detectable. */
  unsignedTail: number;
  errors: AuditVerificationError[];
}

const HASH = /^[0-9a-f]{64}$/;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Verifies an audit export offline (ADR 0011) with nothing but the published public keys of
 * the signing key: the header names the tenant; events must follow each other seq 1, 2, 3, ...
 * (a removed, reordered or inserted event breaks the sequence or the chain), each `prev_hash`
 * must be the previous event's hash and each hash must be the SHA-256 of the event's canonical
 * JSON (a modified event). Every checkpoint must name a seq already seen with exactly that
 * event's hash (a rewritten chain) and carry a valid ed25519 signature of a published key
 * version. Events after the last checkpoint are chained but unsigned (`unsignedTail`).
 */
export function verifyAuditExport(input: string | Iterable<string>, publicKeys: PublicKeyInput): AuditVerificationResult {
  const lines = typeof input === 'string' ? input.split('\n') : [...input];
  const errors: AuditVerificationError[] = [];
  const fail = (line: number, code: AuditVerificationCode, message: string) => errors.push({ line, code, message });
  let tenantId: string | undefined;
  let headerSeen = false;
  let events = 0;
  let checkpoints = 0;
  let lastSeq = 0;
  let prevHash = GENESIS_HASH;
  let checkpointedThroughSeq = 0;
  const hashes = new Map<number, string>();

  lines.forEach((text, index) => {
    const n = index + 1;
    if (text.trim() === '') return;
    let obj: Record<string, unknown>;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      obj = parsed as Record<string, unknown>;
    } catch {
      fail(n, 'malformed-line', 'line is not a JSON object');
      return;
    }
    if (!headerSeen) {
      if (obj.type !== 'header' || obj.format !== AUDIT_EXPORT_FORMAT || !isStr(obj.tenant_id) || obj.tenant_id === '') {
        fail(n, 'missing-header', `the first line must be the ${AUDIT_EXPORT_FORMAT} header`);
        headerSeen = true; // report once, go on checking the chain
        tenantId = isStr(obj.tenant_id) ? obj.tenant_id : undefined;
        if (obj.type === 'header') return;
      } else {
        headerSeen = true;
        tenantId = obj.tenant_id;
        return;
      }
    }
    if (obj.type === 'event') {
      const e = obj;
      if (
        !isStr(e.tenant_id) || !isInt(e.seq) || !isInt(e.occurred_at_ms) || !isStr(e.actor) || !isStr(e.action) ||
        !isStr(e.resource) || !isStr(e.decision) || !isStr(e.outcome) || !Array.isArray(e.obligations) ||
        !e.obligations.every(isStr) || !isStr(e.prev_hash) || !isStr(e.hash) || !HASH.test(e.hash)
      ) {
        fail(n, 'malformed-line', 'event fields missing or of the wrong type');
        return;
      }
      events++;
      if (tenantId !== undefined && e.tenant_id !== tenantId) fail(n, 'tenant-mismatch', `event seq ${e.seq} names another tenant`);
      if (e.seq !== lastSeq + 1) fail(n, 'sequence-break', `expected seq ${lastSeq + 1}, found ${e.seq}`);
      if (e.prev_hash !== prevHash) fail(n, 'chain-break', `event seq ${e.seq}: prev_hash is not the hash of the event before it`);
      const recomputed = hashAuditEvent({
        tenantId: e.tenant_id,
        seq: e.seq,
        occurredAtMs: e.occurred_at_ms,
        actor: e.actor,
        action: e.action,
        resource: e.resource,
        decision: e.decision as AuditDecision,
        outcome: e.outcome as AuditOutcome,
        obligations: e.obligations as string[],
        prevHash: e.prev_hash,
      });
      if (recomputed !== e.hash) fail(n, 'hash-mismatch', `event seq ${e.seq}: hash does not match its content`);
      // Resynchronise on what the line claims, so one tampered event is reported once.
      lastSeq = e.seq;
      prevHash = e.hash;
      if (!hashes.has(e.seq)) hashes.set(e.seq, e.hash);
      return;
    }
    if (obj.type === 'checkpoint') {
      const c = obj;
      if (!isStr(c.tenant_id) || !isInt(c.seq) || !isStr(c.head_hash) || !isInt(c.signed_at_ms) || !isInt(c.key_version) || !isStr(c.signature)) {
        fail(n, 'malformed-line', 'checkpoint fields missing or of the wrong type');
        return;
      }
      checkpoints++;
      if (tenantId !== undefined && c.tenant_id !== tenantId) fail(n, 'tenant-mismatch', `checkpoint seq ${c.seq} names another tenant`);
      let consistent = true;
      if (hashes.get(c.seq) !== c.head_hash) {
        consistent = false;
        fail(n, 'checkpoint-mismatch', `checkpoint seq ${c.seq}: head hash is not the hash of event seq ${c.seq} in this export`);
      }
      const check = checkSignature(
        checkpointSigningBytes({ tenantId: c.tenant_id, seq: c.seq, headHash: c.head_hash, signedAtMs: c.signed_at_ms }),
        c.signature,
        publicKeys,
        c.key_version,
      );
      if (check === 'unknown-key-version') {
        consistent = false;
        fail(n, 'unknown-key-version', `checkpoint seq ${c.seq}: no published key of version ${c.key_version}`);
      } else if (check !== 'valid') {
        consistent = false;
        fail(n, 'bad-signature', `checkpoint seq ${c.seq}: signature ${check}`);
      }
      if (consistent && c.seq > checkpointedThroughSeq) checkpointedThroughSeq = c.seq;
      return;
    }
    if (obj.type === 'header') {
      fail(n, 'malformed-line', 'a second header');
      return;
    }
    fail(n, 'malformed-line', 'unknown line type');
  });

  if (!headerSeen) fail(0, 'missing-header', 'the export is empty');
  return {
    ok: errors.length === 0,
    tenantId: tenantId ?? '',
    events,
    lastSeq,
    headHash: prevHash,
    checkpoints,
    checkpointedThroughSeq,
    unsignedTail: Math.max(0, lastSeq - checkpointedThroughSeq),
    errors,
  };
}

/** What `confide audit verify` names: the first entry that was modified, removed or reordered. */
export type TamperKind = 'modified' | 'removed' | 'reordered' | 'inserted' | 'checkpoint' | 'malformed';

export interface FirstTampering {
  kind: TamperKind;
  /** The entry concerned: the modified/removed entry's seq; for a reordered one, its original seq. */
  seq: number;
  /** 1-based line of the export where it shows (0: the export is empty). */
  line: number;
  /** Names seqs and lines only. */
  message: string;
  code: AuditVerificationCode;
}

interface ExportedEvent {
  line: number;
  seq: number;
  hashInput: Parameters<typeof hashAuditEvent>[0];
  hash: string;
}

function exportedEvents(lines: string[]): ExportedEvent[] {
  const out: ExportedEvent[] = [];
  lines.forEach((text, index) => {
    try {
      const e = JSON.parse(text) as Record<string, unknown>;
      if (e?.type !== 'event' || !isInt(e.seq) || !isStr(e.hash)) return;
      out.push({
        line: index + 1,
        seq: e.seq,
        hash: e.hash,
        hashInput: {
          tenantId: e.tenant_id as string,
          seq: e.seq,
          occurredAtMs: e.occurred_at_ms as number,
          actor: e.actor as string,
          action: e.action as string,
          resource: e.resource as string,
          decision: e.decision as AuditDecision,
          outcome: e.outcome as AuditOutcome,
          obligations: e.obligations as string[],
          prevHash: e.prev_hash as string,
        },
      });
    } catch {
      // malformed lines are the verifier's to report
    }
  });
  return out;
}

/**
 * The first entry of an export that was modified, removed or reordered (undefined when the
 * export verifies): from the verifier's first error, classified —
 * - the entry's hash does not match its content: `reordered` when the content is an authentic
 *   entry of a later position (its hash matches with that seq), `inserted` (at that seq) when
 *   of an earlier one, else `modified`;
 * - a gap in the sequence: `reordered` when the missing seq appears later, else `removed`
 *   (the first missing seq);
 * - a broken link to an entry whose own hash matches: that previous entry was `modified` with
 *   its hash recomputed (or inserted);
 * - checkpoint problems (`checkpoint`) and unreadable lines (`malformed`).
 */
export function locateFirstTampering(input: string | Iterable<string>, publicKeys: PublicKeyInput): FirstTampering | undefined {
  const lines = typeof input === 'string' ? input.split('\n') : [...input];
  const result = verifyAuditExport(lines, publicKeys);
  const first = result.errors[0];
  if (!first) return undefined;
  const atLine = result.errors.filter((e) => e.line === first.line).map((e) => e.code);
  const events = exportedEvents(lines);
  const index = events.findIndex((e) => e.line === first.line);
  const event = index >= 0 ? events[index] : undefined;
  if (!event || first.code === 'tenant-mismatch' || first.code === 'malformed-line' || first.code === 'missing-header') {
    if (first.code === 'checkpoint-mismatch' || first.code === 'bad-signature' || first.code === 'unknown-key-version') {
      return { kind: 'checkpoint', seq: 0, line: first.line, code: first.code, message: `line ${first.line}: ${first.message}` };
    }
    return { kind: 'malformed', seq: event?.seq ?? 0, line: first.line, code: first.code, message: `line ${first.line}: ${first.message}` };
  }
  const previous = index > 0 ? events[index - 1] : undefined;
  const expected = (previous?.seq ?? 0) + 1;
  if (atLine.includes('hash-mismatch')) {
    const lastSeq = Math.max(...events.map((e) => e.seq), event.seq);
    for (let s = 1; s <= lastSeq + 1; s++) {
      if (s !== event.seq && hashAuditEvent({ ...event.hashInput, seq: s }) === event.hash) {
        if (s < event.seq) {
          // The authentic entry s was pushed back: what now sits at positions s.. was inserted.
          const inserted = events.find((e) => e.seq === s);
          return {
            kind: 'inserted',
            seq: s,
            line: inserted?.line ?? event.line,
            code: 'hash-mismatch',
            message: `an entry was inserted at seq ${s} (line ${inserted?.line ?? event.line}): the authentic seq ${s} now sits at seq ${event.seq}`,
          };
        }
        return { kind: 'reordered', seq: s, line: event.line, code: 'hash-mismatch', message: `entry seq ${s} was moved to position seq ${event.seq} (line ${event.line})` };
      }
    }
    return { kind: 'modified', seq: event.seq, line: event.line, code: 'hash-mismatch', message: `entry seq ${event.seq} (line ${event.line}) was modified: its hash does not match its content` };
  }
  if (atLine.includes('sequence-break')) {
    if (event.seq > expected) {
      const later = events.slice(index + 1).find((e) => e.seq === expected);
      if (later) {
        return { kind: 'reordered', seq: expected, line: later.line, code: 'sequence-break', message: `entry seq ${expected} appears after seq ${event.seq} (line ${later.line})` };
      }
      const range = event.seq - 1 > expected ? `s ${expected}-${event.seq - 1}` : ` ${expected}`;
      return { kind: 'removed', seq: expected, line: event.line, code: 'sequence-break', message: `entry seq${range} removed (before line ${event.line})` };
    }
    return { kind: 'reordered', seq: event.seq, line: event.line, code: 'sequence-break', message: `entry seq ${event.seq} appears after seq ${expected - 1} (line ${event.line})` };
  }
  if (atLine.includes('chain-break')) {
    const changed = previous?.seq ?? event.seq;
    return {
      kind: 'modified',
      seq: changed,
      line: previous?.line ?? event.line,
      code: 'chain-break',
      message: `entry seq ${changed} (line ${previous?.line ?? event.line}) was modified or inserted: seq ${event.seq} no longer links to it`,
    };
  }
  return { kind: 'checkpoint', seq: 0, line: first.line, code: first.code, message: `line ${first.line}: ${first.message}` };
}
