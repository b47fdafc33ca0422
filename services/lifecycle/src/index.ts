export { createLifecycleModule, type LifecycleModuleDeps } from './lifecycle.module';
export { lifecycleConfigSchema, type LifecycleConfig } from './config';
export { GrpcMeetingStore, DEFAULT_STORAGE_DEADLINE_MS } from './adapters/storage-client/storage.grpc-client';
export { GrpcStorageMaintenance } from './adapters/storage-client/storage-maintenance.grpc-client';
export { DEFAULT_SCHEDULER_INTERVAL_MS, type LifecyclePersistence, type LifecycleModule } from './lifecycle.module';
export { RetentionSweep } from './use-cases/retention-sweep.use-case';
export { AudioKeyDeadlineSweep, DEFAULT_AUDIO_KEY_MAX_AGE_MS } from './use-cases/audio-key-deadline-sweep.use-case';
export { EraseTenant } from './use-cases/erase-tenant.use-case';
export { EraseUserData } from './use-cases/erase-user-data.use-case';
export { RestoreArchivedMeeting } from './use-cases/restore-archived-meeting.use-case';
export { InMemoryEndedMeetings } from './adapters/memory/in-memory.ended-meetings';
export { LIFECYCLE_SERVICE_NAME } from './adapters/grpc/lifecycle.grpc';
export { LIFECYCLE_CONSUMER_GROUP } from './adapters/events/meeting.consumer';
export type { MeetingStore, ErasedCounts } from './ports/meeting-store.port';
export type { ErasureLog, ErasureRecord } from './ports/erasure-log.port';
export type { AuditLog, AuditEntry } from './ports/audit-log.port';
export type { EndedMeetings, EndedMeeting } from './ports/ended-meetings.port';
export type { ErasureEventPublisher, MeetingErasedNotice } from './ports/erasure-events.port';

// Persistence and domain core (ADR 0011): PostgreSQL adapters, signed audit log and certificates, staff grants.
export {
  createLifecycleDataSource,
  migrateLifecycle,
  migrateLifecycleDatabase,
  LIFECYCLE_MIGRATIONS_TABLE,
  type LifecycleDataSourceOptions,
} from './adapters/postgres/lifecycle.data-source';
export { PostgresAuditEventStore, AUDIT_APPEND_LOCK_CLASS } from './adapters/postgres/audit-event.repository';
export { PostgresDeletionCertificateStore } from './adapters/postgres/deletion-certificate.repository';
export { PostgresStaffGrantRepository } from './adapters/postgres/staff-grant.repository';
export { PostgresRetentionPolicyRepository } from './adapters/postgres/retention-policy.repository';
export { AdvisoryLockLeaderElection, LEADER_LOCK_CLASS, type AdvisoryLockLeaderElectionOptions } from './adapters/postgres/advisory-lock.leader-election';
export { canonicalJson, canonicalBytes, CanonicalJsonError } from './domain/canonical-json';
export * from './domain/audit-chain';
export {
  verifyAuditExport,
  locateFirstTampering,
  type AuditVerificationResult,
  type AuditVerificationError,
  type AuditVerificationCode,
  type FirstTampering,
  type TamperKind,
} from './domain/audit-export.verifier';
export { CERTIFICATE_ISSUED_ACTION, certificateSha256, certificateAuditResource } from './use-cases/issue-erasure-certificate.use-case';
export * from './domain/deletion-certificate';
export * from './domain/signing';
export * from './domain/staff-grant';
export * from './domain/retention-policy';
export { ChainedAuditLog } from './use-cases/chained-audit-log';
export { SignAuditCheckpoint } from './use-cases/sign-audit-checkpoint.use-case';
export { ExportAuditLog } from './use-cases/export-audit-log.use-case';
export { IssueDeletionCertificate } from './use-cases/issue-deletion-certificate.use-case';
export { GRANT_AUDIT_ACTIONS, type StaffGrantDeps } from './use-cases/staff-grant.use-case-base';
export { RequestStaffGrant } from './use-cases/request-staff-grant.use-case';
export { ApproveStaffGrant } from './use-cases/approve-staff-grant.use-case';
export { DenyStaffGrant } from './use-cases/deny-staff-grant.use-case';
export { RevokeStaffGrant } from './use-cases/revoke-staff-grant.use-case';
export { ListStaffGrants } from './use-cases/list-staff-grants.use-case';
export { RunAsLeader, type RunAsLeaderOptions } from './use-cases/run-as-leader.use-case';
export type { AuditEventStore } from './ports/audit-event-store.port';
export type { DeletionCertificateStore, StoredDeletionCertificate } from './ports/deletion-certificate.port';
export type { StaffGrantRepository, GrantDecision } from './ports/staff-grant.port';
export type { RetentionPolicyRepository } from './ports/retention-policy.port';
export type { LeaderElection } from './ports/leader-election.port';
export { AuditCheckpointer } from './use-cases/audit-checkpointer';
