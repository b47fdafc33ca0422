import {
  InsightsServiceService,
  type InsightsServiceServer,
  type ListAlertRulesRequest,
  type ListAlertRulesResponse,
} from '@confide/contracts';
import { unaryHandler, type GrpcServiceRegistration, type Logger } from '@confide/platform';
import type { ListAlertRules } from '../../use-cases/list-alert-rules.use-case';

export const INSIGHTS_SERVICE_NAME = 'confide.insights.v1.InsightsService';

/** confide.insights.v1.InsightsService over the use cases. */
export function insightsGrpcService(deps: { logger: Logger; listAlertRules: ListAlertRules }): GrpcServiceRegistration {
  const implementation: InsightsServiceServer = {
    listAlertRules: unaryHandler<ListAlertRulesRequest, ListAlertRulesResponse>(deps.logger, async (req) => {
      const result = await deps.listAlertRules.execute({ tenantId: req.tenantId });
      return {
        rules: result.rules.map((r) => ({ ruleId: r.ruleId, description: r.description, kind: r.kind })),
        reportEngine: result.reportEngine,
      };
    }),
  };
  return { name: INSIGHTS_SERVICE_NAME, definition: InsightsServiceService, implementation };
}
