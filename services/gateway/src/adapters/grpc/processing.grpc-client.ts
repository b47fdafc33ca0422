import {
  InsightsServiceClient,
  TranscriptionServiceClient,
  type DescribeEngineResponse,
  type ListAlertRulesResponse,
} from '@confide/contracts';
import { callUnary, createGrpcClient } from '@confide/platform';
import type * as grpc from '@grpc/grpc-js';
import type { ProcessingPort, TenantProcessing } from '../../ports/processing.port';
import type { CallContext } from '../../ports/storage.port';
import { fromDownstream } from './downstream-error';
import { requestMetadata } from './request-metadata';

export interface GrpcProcessingOptions {
  transcription: { address: string; credentials?: grpc.ChannelCredentials };
  insights: { address: string; credentials?: grpc.ChannelCredentials };
  deadlineMs: number;
}

/**
 * ProcessingPort over TranscriptionService.DescribeEngine and InsightsService.ListAlertRules,
 * with the gateway's signed subject assertion: each service decides the gateway's `rpc:`
 * action and the end user's settings:read. The engine's active-session count (all tenants) is
 * not passed on.
 */
export class GrpcProcessingClient implements ProcessingPort {
  private readonly transcription: TranscriptionServiceClient;
  private readonly insights: InsightsServiceClient;

  constructor(private readonly opts: GrpcProcessingOptions) {
    this.transcription = createGrpcClient(TranscriptionServiceClient, opts.transcription.address, { credentials: opts.transcription.credentials });
    this.insights = createGrpcClient(InsightsServiceClient, opts.insights.address, { credentials: opts.insights.credentials });
  }

  async describe(tenantId: string, ctx: CallContext): Promise<TenantProcessing> {
    const options = { deadlineMs: this.opts.deadlineMs, signal: ctx.signal, metadata: requestMetadata(ctx) };
    const [engine, rules] = await Promise.all([
      callUnary<object, DescribeEngineResponse>(this.transcription, 'describeEngine', {}, options).catch((err: unknown) => {
        throw fromDownstream('transcription', err);
      }),
      callUnary<object, ListAlertRulesResponse>(this.insights, 'listAlertRules', { tenantId }, options).catch((err: unknown) => {
        throw fromDownstream('insights', err);
      }),
    ]);
    return {
      transcription: { engine: engine.engine, language: engine.language, destination: engine.destination },
      insights: {
        reportEngine: rules.reportEngine,
        alertRules: rules.rules.map((r) => ({ ruleId: r.ruleId, description: r.description, kind: r.kind })),
      },
    };
  }

  close(): void {
    this.transcription.close();
    this.insights.close();
  }
}
