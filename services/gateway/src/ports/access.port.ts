/**
 * What the gateway needs to authenticate and authorize a request. The implementations are
 * platform's: OidcVerifier (Authenticator), PolicyEvaluator (PolicyDecider),
 * LoggingDecisionAuditor / lifecycle's audit log (DecisionAuditor), InMemoryGrantStore /
 * lifecycle's grants (GrantStore), SubjectAssertionSigner, systemClock.
 */
export type {
  Authenticator,
  Clock,
  DecisionAuditor,
  GrantStore,
  PolicyDecider,
  Subject,
  SubjectAssertionSigner,
} from '@confide/platform';
