# Service identities: exactly the RPCs in the table, nothing else.
package confide.authz_test

expected_service_rpcs := {
	"gateway": {
		"rpc:confide.storage.v1.StorageService/ListMeetings",
		"rpc:confide.storage.v1.StorageService/GetMeeting",
		"rpc:confide.storage.v1.StorageService/GetTranscript",
		"rpc:confide.storage.v1.StorageService/ListAlerts",
		"rpc:confide.storage.v1.StorageService/GetReport",
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
		"rpc:confide.storage.v1.KeyRegistryService/RotateTenantKey",
		"rpc:confide.storage.v1.KeyRegistryService/GetTenantKeyStatus",
		"rpc:confide.lifecycle.v1.AccessGrantService/ListActiveGrantsForPolicy",
		"rpc:confide.transcription.v1.TranscriptionService/DescribeEngine",
		"rpc:confide.insights.v1.InsightsService/ListAlertRules",
	},
	"lifecycle": {
		"rpc:confide.storage.v1.StorageService/PurgeMeeting",
		"rpc:confide.storage.v1.KeyRegistryService/GetDataKey",
		"rpc:confide.storage.v1.KeyRegistryService/GetOrCreateDataKey",
		"rpc:confide.storage.v1.KeyRegistryService/DestroyDataKey",
	},
	"ingest": {
		"rpc:confide.storage.v1.KeyRegistryService/GetDataKey",
		"rpc:confide.storage.v1.KeyRegistryService/GetOrCreateDataKey",
	},
	"transcription": {
		"rpc:confide.storage.v1.KeyRegistryService/GetDataKey",
		"rpc:confide.storage.v1.KeyRegistryService/GetOrCreateDataKey",
		"rpc:confide.storage.v1.KeyRegistryService/DestroyDataKey",
	},
	"insights": {
		"rpc:confide.storage.v1.KeyRegistryService/GetDataKey",
		"rpc:confide.storage.v1.KeyRegistryService/GetOrCreateDataKey",
	},
	"storage": {
		"rpc:confide.storage.v1.KeyRegistryService/GetDataKey",
		"rpc:confide.storage.v1.KeyRegistryService/GetOrCreateDataKey",
		"rpc:confide.storage.v1.KeyRegistryService/DestroyDataKey",
		"rpc:confide.lifecycle.v1.AccessGrantService/ListActiveGrantsForPolicy",
	},
}

test_service_rpc_matrix if {
	allowed := {[name, r] |
		some name, _ in expected_service_rpcs
		some r in all_rpcs
		decide(req(service(name), r, m1)).allow
	}
	expected := {[name, r] |
		some name, rpcs in expected_service_rpcs
		some r in rpcs
	}
	allowed == expected
}

test_service_rpc_allowed_reason_and_no_obligation if {
	d := decide(req(service("lifecycle"), "rpc:confide.storage.v1.StorageService/PurgeMeeting", m1))
	d.allow
	d.reasons == ["service:lifecycle"]
	d.obligations == []
}

test_service_rpc_denied_reason if {
	d := decide(req(service("gateway"), "rpc:confide.storage.v1.StorageService/PurgeMeeting", m1))
	d.reasons == ["service-rpc-not-permitted"]
	d.obligations == ["audit"]
}

test_service_is_cluster_wide_for_its_rpcs if {
	every t in {"t1", "t2"} {
		decide(req(service("gateway"), "rpc:confide.storage.v1.StorageService/GetTranscript", meeting(t, "u", "m"))).allow
	}
}

test_service_cannot_take_user_actions if {
	bad := {[name, a] |
		some name, _ in expected_service_rpcs
		some a in all_actions
		d := decide(req(service(name), a, resource_for(a, "t1", "svc-gateway")))
		not denied_with(d, "service-rpc-only")
	}
	count(bad) == 0
}

test_service_with_roles_still_cannot_take_user_actions if {
	s := object.union(service("gateway"), {"tenant": "t1", "roles": ["owner"], "mfa": true})
	denied_with(decide(req(s, "transcript:read", m1)), "service-rpc-only")
}

test_unknown_service_denied if {
	d := decide(req(service("billing"), "rpc:confide.storage.v1.StorageService/GetTranscript", m1))
	d.reasons == ["service-unknown"]
}

test_service_without_name_denied if {
	s := object.remove(service("gateway"), {"service"})
	denied_with(decide(req(s, "rpc:confide.storage.v1.StorageService/GetTranscript", m1)), "service-unknown")
}

test_unknown_rpc_denied if {
	d := decide(req(service("gateway"), "rpc:confide.storage.v1.StorageService/DropTable", m1))
	d.reasons == ["service-rpc-not-permitted"]
}

test_rpc_action_is_matched_exactly if {
	denied_with(decide(req(service("gateway"), "rpc:confide.storage.v1.StorageService/GetTranscript/", m1)), "service-rpc-not-permitted")
	denied_with(decide(req(service("gateway"), "rpc:confide.storage.v1.storageservice/gettranscript", m1)), "service-rpc-not-permitted")
}

test_policy_grants_rpc_only_for_gateway_and_storage if {
	r := "rpc:confide.lifecycle.v1.AccessGrantService/ListActiveGrantsForPolicy"
	allowed := {name |
		some name in {"gateway", "ingest", "transcription", "insights", "lifecycle", "storage"}
		decide(req(service(name), r, tenant_resource("t1"))).allow
	}
	allowed == {"gateway", "storage"}
	not decide(req(staff("s1", true), r, tenant_resource("t1"))).allow
	not decide(req(user("u-owner", "t1", ["owner"], true), r, tenant_resource("t1"))).allow
}
