# StorageMaintenanceService (docs/adr/0012-retention.md): lifecycle only, every RPC; nobody else.
package confide.authz_test

maintenance_rpcs := {
	"rpc:confide.storage.v1.StorageMaintenanceService/ListTenants",
	"rpc:confide.storage.v1.StorageMaintenanceService/ListExpiredMeetings",
	"rpc:confide.storage.v1.StorageMaintenanceService/ListAudioKeysDue",
	"rpc:confide.storage.v1.StorageMaintenanceService/ArchiveMeeting",
	"rpc:confide.storage.v1.StorageMaintenanceService/RestoreMeeting",
	"rpc:confide.storage.v1.StorageMaintenanceService/PurgeTenant",
	"rpc:confide.storage.v1.StorageMaintenanceService/PurgeParticipant",
}

test_lifecycle_may_call_every_maintenance_rpc if {
	every r in maintenance_rpcs {
		d := decide(req(service("lifecycle"), r, m1))
		d.allow
		d.reasons == ["service:lifecycle"]
	}
}

test_no_other_service_may_call_maintenance_rpcs if {
	allowed := {[name, r] |
		some name in {"gateway", "ingest", "transcription", "insights", "storage"}
		some r in maintenance_rpcs
		decide(req(service(name), r, m1)).allow
	}
	count(allowed) == 0
	denied_with(decide(req(service("gateway"), "rpc:confide.storage.v1.StorageMaintenanceService/PurgeTenant", m1)), "service-rpc-not-permitted")
}

test_users_may_not_call_maintenance_rpcs if {
	every r in maintenance_rpcs {
		not decide(req(user("u-owner", "t1", ["owner"], true), r, m1)).allow
	}
}
