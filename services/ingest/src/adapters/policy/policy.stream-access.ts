import {
  AppError,
  buildPolicyInput,
  enforceDecision,
  refuseAccess,
  systemClock,
  toPolicySubject,
  type Authenticator,
  type Clock,
  type DecisionAuditor,
  type PolicyDecider,
} from '@confide/platform';
import type { StartedMeeting } from '../../domain/meeting-stream';
import type { StreamAccess } from '../../ports/stream-access.port';

export interface PolicyStreamAccessDeps {
  /** Verifies the end user's OIDC access token (platform OidcVerifier). */
  authenticator: Authenticator;
  /** The policy bundle (policies/authz), in-process WASM. */
  evaluator: PolicyDecider;
  /** Where audited decisions (denials) go; a failure refuses the stream. */
  auditor: DecisionAuditor;
  clock?: Clock;
}

/**
 * StreamAccess by OIDC token + policy: the meeting bot (or the user's client) presents the
 * end user's access token as `authorization: Bearer <jwt>` call metadata; the policy decides
 * `meeting:stream` on the meeting named by the start message (resource: its tenant and id,
 * owned by the streaming user). Members, admins and owners stream in their own tenant;
 * auditors, staff (grants never cover streaming), services and other tenants do not.
 */
export class PolicyStreamAccess implements StreamAccess {
  private readonly clock: Clock;

  constructor(private readonly deps: PolicyStreamAccessDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  async authorize(bearerToken: string | undefined, meeting: StartedMeeting): Promise<void> {
    if (!bearerToken) throw new AppError('unauthenticated', 'a bearer token is required');
    const subject = await this.deps.authenticator.authenticate(bearerToken);
    const enforced = await enforceDecision(
      this.deps.evaluator,
      this.deps.auditor,
      buildPolicyInput({
        subject: toPolicySubject(subject),
        action: 'meeting:stream',
        resource: { tenant: meeting.tenantId, meeting: meeting.meetingId, owner: subject.id, kind: 'meeting' },
        now: this.clock.now(),
      }),
    );
    if (!enforced.allowed) refuseAccess(enforced.refusal);
  }
}

/** `authorization` metadata "Bearer <jwt>" -> the token; anything else -> undefined. */
export function bearerTokenOf(values: ReadonlyArray<string | Buffer>): string | undefined {
  if (values.length !== 1 || typeof values[0] !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/.exec(values[0]);
  return match?.[1];
}
