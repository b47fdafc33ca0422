export * from './policy.types';
export * from './policy.evaluator';
export * from './decision.auditor';
export * from './grant.store';
export * from './grpc.grant-store';
export * from './bus.decision-auditor';
