# Service identities (subject.kind == "service", subject.service = the service name, taken
# from its mTLS certificate / ServiceAccount). Services are cluster-wide — they carry data of
# every tenant — but each may call only the RPCs listed here and nothing else. Per-tenant
# checks of the end user happen where the user's request enters (the gateway evaluates the
# user's decision before it calls storage or lifecycle).
#
# The list follows docs/design/realtime-path.md: ingest, transcription, insights and storage
# talk only through the event bus, so they call no RPC; the gateway reads from storage and
# asks lifecycle to erase meetings; lifecycle purges a meeting's records in storage.
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

service_rpcs := {
	"gateway": (storage_read_rpcs | lifecycle_gateway_rpcs),
	"lifecycle": ({"rpc:confide.storage.v1.StorageService/PurgeMeeting"} | storage_maintenance_rpcs),
	"ingest": set(),
	"transcription": set(),
	"insights": set(),
	"storage": set(),
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
