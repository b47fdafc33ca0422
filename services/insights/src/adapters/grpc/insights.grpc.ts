import {
  InsightsServiceService,
  type InsightsServiceServer,
  type ListAlertRulesRequest,
  type ListAlertRulesResponse,
} from '@confide/contracts';
import { authorizeRpc, unaryHandler, type GrpcServiceRegistration, type Logger, type RpcAuthorizationDeps } from '@confide/platform';
import type { ListAlertRules } from '../../use-cases/list-alert-rules.use-case';

export const INSIGHTS_SERVICE_NAME = 'confide.insights.v1.InsightsService';

/**
 * confide.insights.v1.InsightsService over the use cases. Every call is authorized
 * (authorizeRpc): the caller service's `rpc:` action (the gateway, policies/authz/services.rego)
 * and the end user's `settings:read` on the tenant the request names.
 */
export function insightsGrpcService(deps: {
  logger: Logger;
  listAlertRules: ListAlertRules;
  authorization: RpcAuthorizationDeps;
}): GrpcServiceRegistration {
  const implementation: InsightsServiceServer = {
    listAlertRules: unaryHandler<ListAlertRulesRequest, ListAlertRulesResponse>(
      deps.logger,
      authorizeRpc(
        deps.authorization,
        {
          method: `${INSIGHTS_SERVICE_NAME}/ListAlertRules`,
          user: { resource: (req: ListAlertRulesRequest) => ({ tenant: req.tenantId, kind: 'tenant-settings' }) },
        },
        async (req: ListAlertRulesRequest) => {
          const result = await deps.listAlertRules.execute({ tenantId: req.tenantId });
          return {
            rules: result.rules.map((r) => ({ ruleId: r.ruleId, description: r.description, kind: r.kind })),
            reportEngine: result.reportEngine,
          };
        },
      ),
    ),
  };
  return { name: INSIGHTS_SERVICE_NAME, definition: InsightsServiceService, implementation };
}
