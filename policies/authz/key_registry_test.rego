# KeyRegistryService (docs/adr/0010-key-hierarchy.md, docs/adr/0009-identity.md): data-key RPCs
# for the services that seal and open payloads; destruction only for those that shred keys;
# rotation and its status only through the gateway, for tenant admins and owners.
package confide.authz_test

key_data_rpcs := {
	"rpc:confide.storage.v1.KeyRegistryService/GetDataKey",
	"rpc:confide.storage.v1.KeyRegistryService/GetOrCreateDataKey",
}

key_destroy_rpc := "rpc:confide.storage.v1.KeyRegistryService/DestroyDataKey"

key_rotate_rpc := "rpc:confide.storage.v1.KeyRegistryService/RotateTenantKey"

key_status_rpc := "rpc:confide.storage.v1.KeyRegistryService/GetTenantKeyStatus"

test_every_data_plane_service_reads_and_offers_data_keys if {
	every name in {"ingest", "transcription", "insights", "lifecycle", "storage"} {
		every r in key_data_rpcs {
			decide(req(service(name), r, m1)).allow
		}
	}
}

test_only_shredders_destroy_data_keys if {
	allowed := {name |
		some name in {"gateway", "ingest", "transcription", "insights", "lifecycle", "storage"}
		decide(req(service(name), key_destroy_rpc, m1)).allow
	}
	allowed == {"transcription", "lifecycle", "storage"}
	denied_with(decide(req(service("ingest"), key_destroy_rpc, m1)), "service-rpc-not-permitted")
	denied_with(decide(req(service("insights"), key_destroy_rpc, m1)), "service-rpc-not-permitted")
}

test_only_the_gateway_rotates_and_reads_key_status if {
	allowed := {[name, r] |
		some name in {"gateway", "ingest", "transcription", "insights", "lifecycle", "storage"}
		some r in {key_rotate_rpc, key_status_rpc}
		decide(req(service(name), r, tenant_resource("t1"))).allow
	}
	allowed == {["gateway", key_rotate_rpc], ["gateway", key_status_rpc]}
}

test_gateway_may_not_touch_data_keys if {
	every r in key_data_rpcs | {key_destroy_rpc} {
		denied_with(decide(req(service("gateway"), r, m1)), "service-rpc-not-permitted")
	}
}

test_users_may_not_call_key_rpcs if {
	every r in key_data_rpcs | {key_destroy_rpc, key_rotate_rpc, key_status_rpc} {
		not decide(req(user("u-owner", "t1", ["owner"], true), r, m1)).allow
		not decide(req(staff("s1", true), r, m1)).allow
	}
}

key_resource(tenant) := {"tenant": tenant, "owner": "", "meeting": "", "kind": "tenant-key"}

test_rotate_owner_and_admin_with_mfa_audited if {
	every role in {"owner", "admin"} {
		d := decide(req(user("u-admin", "t1", [role], true), "tenant-key:rotate", key_resource("t1")))
		d.allow
		"audit" in d.obligations
	}
}

test_rotate_needs_mfa if {
	every role in {"owner", "admin"} {
		denied_with(decide(req(user("u-admin", "t1", [role], false), "tenant-key:rotate", key_resource("t1"))), "mfa-required")
	}
}

test_rotate_refused_to_members_auditors_other_tenants_and_staff if {
	every role in {"member", "auditor"} {
		not decide(req(user("u-x", "t1", [role], true), "tenant-key:rotate", key_resource("t1"))).allow
	}
	not decide(req(user("x-admin", "t2", ["admin"], true), "tenant-key:rotate", key_resource("t1"))).allow
	not decide(req(staff("s1", true), "tenant-key:rotate", key_resource("t1"))).allow
}

test_key_status_is_settings_read if {
	decide(req(user("u-admin", "t1", ["admin"], false), "settings:read", key_resource("t1"))).allow
	not decide(req(user("u-member", "t1", ["member"], false), "settings:read", key_resource("t1"))).allow
	not decide(req(user("x-admin", "t2", ["admin"], true), "settings:read", key_resource("t1"))).allow
}
