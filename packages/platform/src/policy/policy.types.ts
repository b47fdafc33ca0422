/**
 * The authorization input and decision, mirroring policies/README.md. The policy fails
 * closed on anything missing; these types and `buildPolicyInput` make callers fill it in.
 */

export type SubjectKind = 'user' | 'service' | 'staff';
export type TenantRole = 'owner' | 'admin' | 'member' | 'auditor';
export type ServiceName = 'ingest' | 'transcription' | 'insights' | 'storage' | 'lifecycle' | 'gateway';

export const TENANT_ROLES: readonly TenantRole[] = ['owner', 'admin', 'member', 'auditor'];
export const SERVICE_NAMES: readonly ServiceName[] = ['ingest', 'transcription', 'insights', 'storage', 'lifecycle', 'gateway'];

/** User and staff actions (`rpc:<package>.<Service>/<Method>` is the service form). */
export type UserAction =
  | 'meeting:list'
  | 'meeting:read'
  | 'transcript:read'
  | 'report:read'
  | 'alerts:read'
  | 'meeting:stream'
  | 'meeting:delete'
  | 'meeting:restore'
  | 'user-data:delete'
  | 'tenant-data:delete'
  | 'settings:read'
  | 'settings:write'
  | 'tenant-key:rotate'
  | 'audit:read'
  | 'certificate:read'
  | 'audit:export'
  | 'grant:approve'
  | 'grant:revoke'
  | 'grant:list'
  | 'grant:request';

export type RpcAction = `rpc:${string}`;
export type PolicyAction = UserAction | RpcAction;

export interface PolicySubject {
  id: string;
  /** "" for staff and services. */
  tenant: string;
  roles: string[];
  kind: SubjectKind;
  /** The session authenticated with a second factor. */
  mfa: boolean;
  /** kind=service only. */
  service?: string;
}

export interface PolicyResource {
  tenant: string;
  /** The user who owns it (meetings: the organizer); "" if none or unknown. */
  owner: string;
  /** "" for tenant-level resources. */
  meeting: string;
  kind: string;
}

/** A support-staff access grant (lifecycle owns them). Times are unix ms. */
export interface StaffGrant {
  id: string;
  tenant: string;
  staff_id: string;
  scope: 'tenant' | 'meeting';
  meeting: string;
  reason: string;
  approved_by: string;
  approved_at: number;
  expires_at: number;
  revoked: boolean;
}

export interface PolicyContext {
  /** Unix ms from the caller's clock port (WASM has no clock). */
  now: number;
  grants: StaffGrant[];
  reason: string;
}

export interface PolicyInput {
  subject: PolicySubject;
  action: PolicyAction;
  resource: PolicyResource;
  context: PolicyContext;
}

export type Obligation = 'audit' | 'staff-access';
export const KNOWN_OBLIGATIONS: readonly string[] = ['audit', 'staff-access'];

export interface Decision {
  allow: boolean;
  /** Rule names, never resource data: safe to log and audit. */
  reasons: string[];
  obligations: string[];
}

export interface BuildPolicyInputArgs {
  subject: PolicySubject;
  action: PolicyAction;
  resource?: Partial<PolicyResource>;
  now: number;
  grants?: StaffGrant[];
  reason?: string;
}

/** A complete input: missing resource fields become "", grants [], reason "". */
export function buildPolicyInput(args: BuildPolicyInputArgs): PolicyInput {
  const subject: PolicySubject = {
    id: args.subject.id,
    tenant: args.subject.tenant,
    roles: [...args.subject.roles],
    kind: args.subject.kind,
    mfa: args.subject.mfa === true,
    ...(args.subject.service !== undefined ? { service: args.subject.service } : {}),
  };
  return {
    subject,
    action: args.action,
    resource: {
      tenant: args.resource?.tenant ?? '',
      owner: args.resource?.owner ?? '',
      meeting: args.resource?.meeting ?? '',
      kind: args.resource?.kind ?? '',
    },
    context: { now: args.now, grants: args.grants ?? [], reason: args.reason ?? '' },
  };
}

/** `rpc:<package>.<Service>/<Method>` from a gRPC path ("/pkg.Service/Method") or "pkg.Service/Method". */
export function rpcAction(fullMethod: string): RpcAction {
  return `rpc:${fullMethod.replace(/^\//, '')}`;
}

/** The input stripped to ids and kinds: what may be logged and audited. */
export interface DecisionInputSummary {
  subjectId: string;
  subjectKind: SubjectKind;
  subjectTenant: string;
  service?: string;
  action: string;
  resourceTenant: string;
  resourceMeeting: string;
  resourceKind: string;
  /** Ids of the grants offered in the context (staff only). */
  grantIds: string[];
}

export function summarizeInput(input: PolicyInput): DecisionInputSummary {
  return {
    subjectId: input.subject.id,
    subjectKind: input.subject.kind,
    subjectTenant: input.subject.tenant,
    ...(input.subject.service !== undefined ? { service: input.subject.service } : {}),
    action: input.action,
    resourceTenant: input.resource.tenant,
    resourceMeeting: input.resource.meeting,
    resourceKind: input.resource.kind,
    grantIds: input.context.grants.map((g) => g.id),
  };
}
