import type { CallContext } from './storage.port';

/** What processes a tenant's meetings: the transcription engine and the insights in force. */
export interface TenantProcessing {
  transcription: { engine: string; language: string; destination: string };
  insights: { reportEngine: string; alertRules: Array<{ ruleId: string; description: string; kind: string }> };
}

/**
 * Transcription's DescribeEngine and insights' ListAlertRules, for the tenant's admins
 * (GET /api/tenant/processing). Both services authorize the gateway and the end user again.
 * Rejections as in StoragePort.
 */
export interface ProcessingPort {
  describe(tenantId: string, ctx: CallContext): Promise<TenantProcessing>;
}
