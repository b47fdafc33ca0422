import type { PolicySubject, SubjectKind } from '../policy/policy.types';

/** The authenticated caller: an end user, support staff, or a service identity. */
export interface Subject {
  id: string;
  /** "" for staff and services. */
  tenant: string;
  roles: string[];
  kind: SubjectKind;
  mfa: boolean;
  /** kind=service only: the service name (gateway, lifecycle, ...). */
  service?: string;
}

export function toPolicySubject(subject: Subject): PolicySubject {
  return {
    id: subject.id,
    tenant: subject.tenant,
    roles: [...subject.roles],
    kind: subject.kind,
    mfa: subject.mfa,
    ...(subject.service !== undefined ? { service: subject.service } : {}),
  };
}

/** A service identity as a subject. */
export function serviceSubject(service: string): Subject {
  return { id: service, tenant: '', roles: [], kind: 'service', mfa: false, service };
}

/** What may be logged about a subject: its id, kind and tenant, nothing else. */
export function subjectLogFields(subject: Subject): { subjectId: string; subjectKind: SubjectKind; tenant: string } {
  return { subjectId: subject.id, subjectKind: subject.kind, tenant: subject.tenant };
}
