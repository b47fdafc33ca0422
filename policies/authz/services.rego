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

service_rpcs := {
	"gateway": (storage_read_rpcs | {"rpc:confide.lifecycle.v1.LifecycleService/DeleteMeeting"}),
	"lifecycle": {"rpc:confide.storage.v1.StorageService/PurgeMeeting"},
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
