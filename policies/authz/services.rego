# Service identities (subject.kind == "service", subject.service = the service name, taken
# from its mTLS certificate / ServiceAccount). Services are cluster-wide — they carry data of
# every tenant — but each may call only the RPCs listed here and nothing else. Per-tenant
# checks of the end user happen where the user's request enters (the gateway evaluates the
# user's decision before it calls storage or lifecycle).
#
# The list follows docs/design/realtime-path.md: ingest, transcription, insights and storage
# talk through the event bus and call only the key registry; the gateway reads from storage,
# asks lifecycle to erase meetings and storage to rotate the tenant key; lifecycle purges a
# meeting's records in storage.
# Adding an RPC to a proto does not grant it to anyone: add it here, with a test.
package confide.authz

storage_read_rpcs := {
	"rpc:confide.storage.v1.StorageService/ListMeetings",
	"rpc:confide.storage.v1.StorageService/GetMeeting",
	"rpc:confide.storage.v1.StorageService/GetTranscript",
	"rpc:confide.storage.v1.StorageService/ListAlerts",
	"rpc:confide.storage.v1.StorageService/GetReport",
}

# What the gateway asks of lifecycle for its users (each RPC also decides the end user's
# action at lifecycle: grant:request/approve/revoke/list, audit:read/export, certificate:read,
# meeting:delete, user-data:delete, tenant-data:delete, meeting:restore, settings:read/write).
# GetSigningKeys serves public keys only and acts for no user.
lifecycle_gateway_rpcs := {
	"rpc:confide.lifecycle.v1.LifecycleService/DeleteMeeting",
	"rpc:confide.lifecycle.v1.AccessGrantService/RequestAccessGrant",
	"rpc:confide.lifecycle.v1.AccessGrantService/ApproveAccessGrant",
	"rpc:confide.lifecycle.v1.AccessGrantService/DenyAccessGrant",
	"rpc:confide.lifecycle.v1.AccessGrantService/RevokeAccessGrant",
	"rpc:confide.lifecycle.v1.AccessGrantService/ListAccessGrants",
	"rpc:confide.lifecycle.v1.AuditService/ExportAuditLog",
	"rpc:confide.lifecycle.v1.AuditService/GetAuditHead",
	"rpc:confide.lifecycle.v1.CertificateService/GetDeletionCertificate",
	"rpc:confide.lifecycle.v1.CertificateService/ListDeletionCertificates",
	"rpc:confide.lifecycle.v1.CertificateService/GetSigningKeys",
	"rpc:confide.lifecycle.v1.LifecycleService/EraseTenant",
	"rpc:confide.lifecycle.v1.LifecycleService/EraseUserData",
	"rpc:confide.lifecycle.v1.LifecycleService/RestoreArchivedMeeting",
	"rpc:confide.lifecycle.v1.LifecycleService/GetRetentionPolicy",
	"rpc:confide.lifecycle.v1.LifecycleService/SetRetentionPolicy",
	"rpc:confide.lifecycle.v1.AuditService/ListAuditEvents",
}

# Storage maintenance for lifecycle only: retention (tenant listing, expired meetings,
# archive/restore), the audio-key deadline, tenant and participant erasure (docs/adr/0012-retention.md).
storage_maintenance_rpcs := {
	"rpc:confide.storage.v1.StorageMaintenanceService/ListTenants",
	"rpc:confide.storage.v1.StorageMaintenanceService/ListExpiredMeetings",
	"rpc:confide.storage.v1.StorageMaintenanceService/ListAudioKeysDue",
	"rpc:confide.storage.v1.StorageMaintenanceService/ArchiveMeeting",
	"rpc:confide.storage.v1.StorageMaintenanceService/RestoreMeeting",
	"rpc:confide.storage.v1.StorageMaintenanceService/PurgeTenant",
	"rpc:confide.storage.v1.StorageMaintenanceService/PurgeParticipant",
}

# The key registry (storage's KeyRegistryService, docs/adr/0010-key-hierarchy.md): every process
# that seals or opens a meeting's payloads reads and offers wrapped data keys; only the
# processes that shred keys may destroy one (transcription: the audio key at completion;
# lifecycle: erasure and the audio-key deadline). Ingest and insights never destroy a key.
key_read_rpcs := {
	"rpc:confide.storage.v1.KeyRegistryService/GetDataKey",
	"rpc:confide.storage.v1.KeyRegistryService/GetOrCreateDataKey",
}

key_destroy_rpcs := {"rpc:confide.storage.v1.KeyRegistryService/DestroyDataKey"}

# Tenant-key rotation and its status are end-user actions through the gateway (the callee also
# decides the user's tenant-key:rotate / settings:read).
key_gateway_rpcs := {
	"rpc:confide.storage.v1.KeyRegistryService/RotateTenantKey",
	"rpc:confide.storage.v1.KeyRegistryService/GetTenantKeyStatus",
}

# What processes a tenant's meetings, for its admins (gateway GET /api/tenant/processing): the
# transcription engine and where audio goes, the alert rules in force. The callee also decides
# the user's settings:read on the user's own tenant.
processing_gateway_rpcs := {
	"rpc:confide.transcription.v1.TranscriptionService/DescribeEngine",
	"rpc:confide.insights.v1.InsightsService/ListAlertRules",
}

# Staff grants as the policy reads them (context.grants), from lifecycle's store: the two
# processes that decide staff reads in the microservices mode, the gateway and storage. Service-only.
policy_grant_rpcs := {"rpc:confide.lifecycle.v1.AccessGrantService/ListActiveGrantsForPolicy"}

# "storage" calls the registry only in the all-in-one mode: there the whole process shares one
# keyring over a GrpcKeyRegistry to its own listener, signed as the service that hosts the
# registry (packages/cli/src/all-in-one.ts). It may read, offer and destroy data keys (the
# process also runs transcription and lifecycle), never rotate: rotation stays an end-user action.
# In the microservices mode storage reads the staff grants from lifecycle (policy_grant_rpcs).
service_rpcs := {
	"gateway": ((((storage_read_rpcs | lifecycle_gateway_rpcs) | key_gateway_rpcs) | policy_grant_rpcs) | processing_gateway_rpcs),
	"lifecycle": (({"rpc:confide.storage.v1.StorageService/PurgeMeeting"} | storage_maintenance_rpcs) | (key_read_rpcs | key_destroy_rpcs)),
	"ingest": key_read_rpcs,
	"transcription": (key_read_rpcs | key_destroy_rpcs),
	"insights": key_read_rpcs,
	"storage": ((key_read_rpcs | key_destroy_rpcs) | policy_grant_rpcs),
}

permits contains concat("", ["service:", subject_service]) if {
	is_service
	service_rpcs[subject_service][action]
}

denials contains "service-unknown" if {
	is_service
	not service_rpcs[subject_service]
}

denials contains "service-rpc-only" if {
	is_service
	not is_rpc
}

denials contains "service-rpc-not-permitted" if {
	is_service
	is_rpc
	service_rpcs[subject_service]
	not service_rpcs[subject_service][action]
}
