import { createHash } from 'node:crypto';
import { canonicalBytes } from './canonical-json';

/**
 * The per-tenant, hash-chained audit log (ADR 0011). Every event names its tenant and its
 * position (`seq`, 1, 2, 3, ... without gaps) and carries the hash of the event before it
 * (`prev_hash`; the first event's is GENESIS_HASH). Its own hash is SHA-256 over the canonical
 * JSON (RFC 8785) of the event's fields including `prev_hash`, hex. Only ids, names and
 * decisions: never content, free text or personal data beyond subject ids.
 */
export const AUDIT_HASH_VERSION = 1;
export const GENESIS_HASH = '0'.repeat(64);

export type AuditDecision = 'allow' | 'deny';
/** What happened after the decision ("" when the event records only a decision). */
export type AuditOutcome = 'success' | 'not-found' | 'failure' | '';

/** The fields an appender gives; the log adds seq, prev_hash and hash. */
export interface AuditEventInput {
  tenantId: string;
  occurredAtMs: number;
  actor: string;
  action: string;
  resource: string;
  decision: AuditDecision;
  outcome: AuditOutcome;
  obligations: string[];
}

export interface AuditEvent extends AuditEventInput {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface AuditCheckpoint {
  tenantId: string;
  /** The seq of the event whose hash is `headHash`. */
  seq: number;
  headHash: string;
  signedAtMs: number;
  keyVersion: number;
  /** `<scheme>:v<N>:<base64>` from Kms.sign over `checkpointSigningBytes`. */
  signature: string;
}

/** The object whose canonical JSON is hashed (snake_case: the same names as the export). */
export function auditHashInput(e: Omit<AuditEvent, 'hash'>): Record<string, unknown> {
  return {
    v: AUDIT_HASH_VERSION,
    tenant_id: e.tenantId,
    seq: e.seq,
    occurred_at_ms: e.occurredAtMs,
    actor: e.actor,
    action: e.action,
    resource: e.resource,
    decision: e.decision,
    outcome: e.outcome,
    obligations: [...e.obligations],
    prev_hash: e.prevHash,
  };
}

export function hashAuditEvent(e: Omit<AuditEvent, 'hash'>): string {
  return createHash('sha256').update(canonicalBytes(auditHashInput(e))).digest('hex');
}

/** Links `input` after `previous` (undefined: the first event of the tenant). */
export function chainAuditEvent(input: AuditEventInput, previous: { seq: number; hash: string } | undefined): AuditEvent {
  const unhashed = { ...input, obligations: [...input.obligations], seq: (previous?.seq ?? 0) + 1, prevHash: previous?.hash ?? GENESIS_HASH };
  return { ...unhashed, hash: hashAuditEvent(unhashed) };
}

/** The bytes a checkpoint signature covers: canonical JSON of what the checkpoint asserts. */
export function checkpointSigningBytes(c: { tenantId: string; seq: number; headHash: string; signedAtMs: number }): Buffer {
  return canonicalBytes({
    type: 'confide.audit-checkpoint',
    v: AUDIT_HASH_VERSION,
    tenant_id: c.tenantId,
    seq: c.seq,
    head_hash: c.headHash,
    signed_at_ms: c.signedAtMs,
  });
}

// --- export lines (JSON Lines, each line canonical JSON) --------------------------------

export const AUDIT_EXPORT_FORMAT = 'confide.audit-export';
export const AUDIT_EXPORT_VERSION = 1;

export interface AuditExportHeader {
  type: 'header';
  format: typeof AUDIT_EXPORT_FORMAT;
  version: number;
  tenant_id: string;
  exported_at_ms: number;
  signing_key_name: string;
}

export interface AuditExportEvent {
  type: 'event';
  tenant_id: string;
  seq: number;
  occurred_at_ms: number;
  actor: string;
  action: string;
  resource: string;
  decision: string;
  outcome: string;
  obligations: string[];
  prev_hash: string;
  hash: string;
}

export interface AuditExportCheckpoint {
  type: 'checkpoint';
  tenant_id: string;
  seq: number;
  head_hash: string;
  signed_at_ms: number;
  key_version: number;
  signature: string;
}

export function exportEvent(e: AuditEvent): AuditExportEvent {
  return {
    type: 'event',
    tenant_id: e.tenantId,
    seq: e.seq,
    occurred_at_ms: e.occurredAtMs,
    actor: e.actor,
    action: e.action,
    resource: e.resource,
    decision: e.decision,
    outcome: e.outcome,
    obligations: [...e.obligations],
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

export function exportCheckpoint(c: AuditCheckpoint): AuditExportCheckpoint {
  return {
    type: 'checkpoint',
    tenant_id: c.tenantId,
    seq: c.seq,
    head_hash: c.headHash,
    signed_at_ms: c.signedAtMs,
    key_version: c.keyVersion,
    signature: c.signature,
  };
}
