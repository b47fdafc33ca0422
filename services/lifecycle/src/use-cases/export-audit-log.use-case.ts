import type { Clock } from '@confide/platform';
import { AUDIT_EXPORT_FORMAT, AUDIT_EXPORT_VERSION, exportCheckpoint, exportEvent, type AuditExportHeader } from '../domain/audit-chain';
import { canonicalJson } from '../domain/canonical-json';
import type { AuditEventStore } from '../ports/audit-event-store.port';

const DEFAULT_PAGE_SIZE = 1000;

/**
 * The tenant's audit log as JSON Lines (ADR 0011): a header, then every event from seq 1 in
 * order, each checkpoint right after the event it covers; each line is canonical JSON. Read
 * page by page, so a long log is streamed, never held whole. `verifyAuditExport` checks it.
 */
export class ExportAuditLog {
  constructor(
    private readonly deps: { store: AuditEventStore; clock: Clock; signingKeyName: string; pageSize?: number },
  ) {}

  async *lines(tenantId: string): AsyncGenerator<string> {
    const header: AuditExportHeader = {
      type: 'header',
      format: AUDIT_EXPORT_FORMAT,
      version: AUDIT_EXPORT_VERSION,
      tenant_id: tenantId,
      exported_at_ms: this.deps.clock.now(),
      signing_key_name: this.deps.signingKeyName,
    };
    yield canonicalJson(header);
    const pageSize = this.deps.pageSize ?? DEFAULT_PAGE_SIZE;
    let after = 0;
    for (;;) {
      const events = await this.deps.store.eventsAfter(tenantId, after, pageSize);
      if (events.length === 0) return;
      const last = events[events.length - 1]!.seq;
      const checkpoints = await this.deps.store.checkpointsBetween(tenantId, after, last);
      let c = 0;
      for (const event of events) {
        yield canonicalJson(exportEvent(event));
        while (c < checkpoints.length && checkpoints[c]!.seq === event.seq) yield canonicalJson(exportCheckpoint(checkpoints[c++]!));
      }
      after = last;
      if (events.length < pageSize) return;
    }
  }

  /** The whole export as one string (newline-terminated lines); for small logs and tests. */
  async text(tenantId: string): Promise<string> {
    let out = '';
    for await (const line of this.lines(tenantId)) out += `${line}\n`;
    return out;
  }
}
