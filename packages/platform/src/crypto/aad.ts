/**
 * The context a ciphertext is bound to (AES-GCM additional data): the row it belongs to.
 * `meeting` is '' for tenant-level records that belong to no meeting.
 */
export interface RecordContext {
  tenant: string;
  meeting: string;
  /** The record kind, e.g. `segment`, `insight`, `report`, `audio-frame`. */
  kind: string;
  /** The record id. */
  id: string;
}

const AAD_DOMAIN = Buffer.from('confide.aad.v1', 'utf8');

/**
 * Canonical bytes of a record context: a domain tag then tenant, meeting, kind, id, each as
 * u32 big-endian byte length + UTF-8 bytes. Unambiguous (no separators to inject, no JSON key
 * order), so distinct contexts never share bytes.
 */
export function canonicalAad(context: RecordContext): Buffer {
  const fields = [context.tenant, context.meeting, context.kind, context.id];
  if (fields.some((f) => typeof f !== 'string')) throw new TypeError('record context fields must be strings');
  if (!context.tenant || !context.kind || !context.id) throw new TypeError('record context needs tenant, kind and id');
  const parts: Buffer[] = [AAD_DOMAIN];
  for (const field of fields) {
    const bytes = Buffer.from(field, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    parts.push(len, bytes);
  }
  return Buffer.concat(parts);
}
