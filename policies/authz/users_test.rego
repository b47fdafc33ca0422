# Tenant users: roles, ownership, MFA, tenant isolation.
package confide.authz_test

# What each role may do in its own tenant on a resource it owns, with MFA.
expected_role_actions := {
	"owner": all_actions - {"grant:request"},
	"admin": all_actions - {"grant:request", "tenant-data:delete"},
	"member": ({"meeting:list", "meeting:stream"} | content_reads),
	"auditor": {"audit:read", "audit:export", "certificate:read", "meeting:list"},
}

mfa_actions := {
	"meeting:delete",
	"meeting:restore",
	"user-data:delete",
	"tenant-data:delete",
	"settings:write",
	"tenant-key:rotate",
	"grant:approve",
	"grant:revoke",
	"audit:export",
}

# --- the role table, exhaustively ----------------------------------------------------------

test_role_matrix_own_tenant_with_mfa if {
	allowed := {[role, a] |
		some role, _ in expected_role_actions
		some a in all_actions
		decide(req(user("u-member", "t1", [role], true), a, resource_for(a, "t1", "u-member"))).allow
	}
	expected := {[role, a] |
		some role, actions in expected_role_actions
		some a in actions
	}
	allowed == expected
}

test_every_denial_in_role_matrix_names_a_rule if {
	bad := {[role, a] |
		some role, allowed in expected_role_actions
		some a in all_actions
		not a in allowed
		d := decide(req(user("u-member", "t1", [role], true), a, resource_for(a, "t1", "u-member")))
		not denied_with(d, "role-not-permitted")
	}
	count(bad) == 0
}

test_allowed_reason_names_the_role if {
	d := decide(req(user("u-admin", "t1", ["admin"], true), "meeting:delete", m1))
	d.allow
	d.reasons == ["role:admin"]
}

test_multiple_roles_union if {
	s := user("u-aud", "t1", ["auditor", "member"], false)
	decide(req(s, "audit:read", tenant_resource("t1"))).allow
	decide(req(s, "meeting:stream", m1)).allow
}

test_unknown_role_grants_nothing if {
	d := decide(req(user("u-x", "t1", ["superuser"], true), "meeting:list", tenant_resource("t1")))
	denied_with(d, "role-not-permitted")
}

test_no_roles_grants_nothing if {
	d := decide(req(user("u-x", "t1", [], true), "meeting:list", tenant_resource("t1")))
	denied_with(d, "role-not-permitted")
}

test_roles_not_an_array_grants_nothing if {
	s := object.union(user("u-x", "t1", [], true), {"roles": "admin"})
	d := decide(req(s, "meeting:list", tenant_resource("t1")))
	denied_with(d, "role-not-permitted")
}

# --- members and ownership -------------------------------------------------------------------

test_member_reads_own_meeting_content if {
	every a in content_reads {
		d := decide(req(user("u-member", "t1", ["member"], false), a, m1))
		d.allow
		d.reasons == ["role:member:own"]
		d.obligations == ["audit"]
	}
}

test_member_cannot_read_others_meeting_content if {
	every a in content_reads {
		d := decide(req(user("u-member", "t1", ["member"], true), a, m2))
		denied_with(d, "owner-only")
	}
}

test_member_cannot_read_meeting_without_owner if {
	d := decide(req(user("u-member", "t1", ["member"], true), "transcript:read", meeting("t1", "", "m3")))
	denied_with(d, "owner-only")
}

test_member_lists_and_streams_in_tenant if {
	s := user("u-member", "t1", ["member"], false)
	decide(req(s, "meeting:list", tenant_resource("t1"))).allow
	decide(req(s, "meeting:stream", meeting("t1", "u-member", "m-new"))).allow
}

test_member_cannot_delete_or_administer if {
	s := user("u-member", "t1", ["member"], true)
	every a in {"meeting:delete", "user-data:delete", "settings:read", "settings:write", "grant:approve", "audit:read", "certificate:read"} {
		denied_with(decide(req(s, a, resource_for(a, "t1", "u-member"))), "role-not-permitted")
	}
}

test_member_and_auditor_reading_others_meeting_is_owner_only if {
	d := decide(req(user("u-member", "t1", ["auditor", "member"], true), "report:read", m2))
	denied_with(d, "owner-only")
}

# --- admins and owners -------------------------------------------------------------------------

test_admin_reads_every_meeting_of_tenant if {
	every a in content_reads {
		d := decide(req(user("u-admin", "t1", ["admin"], false), a, m2))
		d.allow
		d.obligations == ["audit"]
	}
}

test_owner_reads_every_meeting_of_tenant if {
	decide(req(user("u-owner", "t1", ["owner"], false), "transcript:read", m2)).allow
}

test_admin_manages_settings_and_grants if {
	s := user("u-admin", "t1", ["admin"], true)
	every a in {"settings:read", "settings:write", "grant:approve", "grant:revoke", "grant:list", "meeting:delete", "user-data:delete"} {
		decide(req(s, a, resource_for(a, "t1", "u-other"))).allow
	}
}

test_settings_read_has_no_obligation if {
	d := decide(req(user("u-admin", "t1", ["admin"], false), "settings:read", tenant_resource("t1")))
	d.allow
	d.obligations == []
}

test_admin_actions_are_audited if {
	every a in mfa_actions - {"tenant-data:delete"} {
		d := decide(req(user("u-admin", "t1", ["admin"], true), a, resource_for(a, "t1", "u-other")))
		d.allow
		d.obligations == ["audit"]
	}
}

test_tenant_data_delete_owner_only if {
	denied_with(decide(req(user("u-admin", "t1", ["admin"], true), "tenant-data:delete", tenant_resource("t1"))), "role-not-permitted")
	d := decide(req(user("u-owner", "t1", ["owner"], true), "tenant-data:delete", tenant_resource("t1")))
	d.allow
	d.obligations == ["audit"]
}

test_tenant_data_delete_owner_needs_mfa if {
	d := decide(req(user("u-owner", "t1", ["owner"], false), "tenant-data:delete", tenant_resource("t1")))
	denied_with(d, "mfa-required")
	d.reasons == ["mfa-required"]
}

# --- MFA -----------------------------------------------------------------------------------------

test_mfa_required_for_destructive_and_admin_actions if {
	bad := {[role, a] |
		some role, allowed in expected_role_actions
		some a in (allowed & mfa_actions)
		d := decide(req(user("u-member", "t1", [role], false), a, resource_for(a, "t1", "u-member")))
		not denied_with(d, "mfa-required")
	}
	count(bad) == 0
}

test_mfa_not_required_for_other_actions if {
	bad := {[role, a] |
		some role, allowed in expected_role_actions
		some a in (allowed - mfa_actions)
		d := decide(req(user("u-member", "t1", [role], false), a, resource_for(a, "t1", "u-member")))
		not d.allow
	}
	count(bad) == 0
}

test_mfa_must_be_boolean_true if {
	s := object.union(user("u-admin", "t1", ["admin"], false), {"mfa": "true"})
	denied_with(decide(req(s, "settings:write", tenant_resource("t1"))), "mfa-required")
}

test_auditor_export_needs_mfa if {
	denied_with(decide(req(user("u-aud", "t1", ["auditor"], false), "audit:export", tenant_resource("t1"))), "mfa-required")
	decide(req(user("u-aud", "t1", ["auditor"], true), "audit:export", tenant_resource("t1"))).allow
}

# --- auditors: no content --------------------------------------------------------------------

test_auditor_reads_no_content if {
	every a in content_reads {
		d := decide(req(user("u-aud", "t1", ["auditor"], true), a, meeting("t1", "u-aud", "m4")))
		denied_with(d, "role-not-permitted")
		d.obligations == ["audit"]
	}
}

test_auditor_lists_meetings_and_reads_audit if {
	s := user("u-aud", "t1", ["auditor"], false)
	every a in {"meeting:list", "audit:read", "certificate:read"} {
		decide(req(s, a, tenant_resource("t1"))).allow
	}
}

# --- tenant isolation, every role, every action ----------------------------------------------

test_cross_tenant_denied_for_every_role_and_action if {
	bad := {[role, a] |
		some role in {"owner", "admin", "member", "auditor"}
		some a in all_actions
		d := decide(req(user("u-member", "t1", [role], true), a, resource_for(a, "t2", "u-member")))
		not denied_with(d, "tenant-isolation")
	}
	count(bad) == 0
}

test_cross_tenant_denied_even_with_all_roles if {
	s := user("x-member", "t2", ["owner", "admin", "member", "auditor"], true)
	every a in all_actions {
		d := decide(req(s, a, resource_for(a, "t1", "x-member")))
		denied_with(d, "tenant-isolation")
	}
}

test_cross_tenant_reading_foreign_meeting if {
	d := decide(req(user("u-admin", "t1", ["admin"], true), "transcript:read", m9))
	d.reasons == ["tenant-isolation"]
	d.obligations == ["audit"]
}

test_user_without_tenant_denied if {
	d := decide(req(user("u-admin", "", ["admin"], true), "meeting:list", tenant_resource("")))
	denied_with(d, "subject-tenant-missing")
	denied_with(d, "resource-tenant-missing")
}

test_resource_without_tenant_denied if {
	d := decide(req(user("u-admin", "t1", ["admin"], true), "meeting:list", {"owner": "u-admin"}))
	denied_with(d, "resource-tenant-missing")
	denied_with(d, "tenant-isolation")
}

test_user_tenant_not_a_string_denied if {
	s := object.union(user("u-admin", "t1", ["admin"], true), {"tenant": 1})
	d := decide(req(s, "meeting:list", {"tenant": 1}))
	denied_with(d, "subject-tenant-missing")
}

# --- users and rpc -----------------------------------------------------------------------------

test_user_cannot_call_rpc if {
	every r in all_rpcs {
		d := decide(req(user("u-owner", "t1", ["owner"], true), r, m1))
		denied_with(d, "rpc-service-only")
	}
}

# --- staff-access grants, audit log and certificates (issue 5 item 6, issue 6) ------------------

test_grant_decisions_need_owner_or_admin_with_mfa if {
	every a in {"grant:approve", "grant:revoke"} {
		every role in {"owner", "admin"} {
			decide(req(user("u-a", "t1", [role], true), a, tenant_resource("t1"))).allow
			d := decide(req(user("u-a", "t1", [role], false), a, tenant_resource("t1")))
			d.reasons == ["mfa-required"]
		}
		every role in {"member", "auditor"} {
			denied_with(decide(req(user("u-a", "t1", [role], true), a, tenant_resource("t1"))), "role-not-permitted")
		}
	}
}

test_grant_decisions_audited if {
	d := decide(req(user("u-a", "t1", ["admin"], true), "grant:approve", tenant_resource("t1")))
	d.obligations == ["audit"]
}

test_grant_list_owner_admin_only if {
	decide(req(user("u-a", "t1", ["admin"], false), "grant:list", tenant_resource("t1"))).allow
	denied_with(decide(req(user("u-a", "t1", ["member"], true), "grant:list", tenant_resource("t1"))), "role-not-permitted")
	denied_with(decide(req(user("u-a", "t1", ["admin"], true), "grant:list", tenant_resource("t2"))), "tenant-isolation")
}

test_auditor_reads_and_exports_audit_log_but_no_content if {
	decide(req(user("u-aud", "t1", ["auditor"], false), "audit:read", tenant_resource("t1"))).allow
	decide(req(user("u-aud", "t1", ["auditor"], true), "audit:export", tenant_resource("t1"))).allow
	decide(req(user("u-aud", "t1", ["auditor"], false), "certificate:read", tenant_resource("t1"))).allow
	every a in content_reads {
		denied_with(decide(req(user("u-aud", "t1", ["auditor"], true), a, m1)), "role-not-permitted")
	}
	denied_with(decide(req(user("u-aud", "t1", ["auditor"], true), "audit:export", tenant_resource("t2"))), "tenant-isolation")
	denied_with(decide(req(user("u-aud", "t1", ["auditor"], true), "certificate:read", tenant_resource("t2"))), "tenant-isolation")
}

test_audit_export_needs_mfa if {
	d := decide(req(user("u-aud", "t1", ["auditor"], false), "audit:export", tenant_resource("t1")))
	d.reasons == ["mfa-required"]
}

test_certificates_readable_by_owner_admin_auditor_only if {
	every role in {"owner", "admin", "auditor"} {
		decide(req(user("u-a", "t1", [role], false), "certificate:read", tenant_resource("t1"))).allow
	}
	denied_with(decide(req(user("u-a", "t1", ["member"], true), "certificate:read", tenant_resource("t1"))), "role-not-permitted")
}

# --- erasure, restore and retention (issue 6) ------------------------------------------------

test_meeting_restore_admin_owner_with_mfa_audited if {
	every role in ["admin", "owner"] {
		d := decide(req(user("u-admin", "t1", [role], true), "meeting:restore", m1))
		d.allow
		"audit" in d.obligations
	}
	denied_with(decide(req(user("u-admin", "t1", ["admin"], false), "meeting:restore", m1)), "mfa-required")
	not decide(req(user("u-member", "t1", ["member"], true), "meeting:restore", m1)).allow
	not decide(req(user("u-aud", "t1", ["auditor"], true), "meeting:restore", m1)).allow
	not decide(req(user("x-admin", "t2", ["admin"], true), "meeting:restore", m1)).allow
}

test_user_data_erasure_admin_owner_with_mfa_only if {
	every role in ["admin", "owner"] {
		d := decide(req(user("u-admin", "t1", [role], true), "user-data:delete", tenant_resource("t1")))
		d.allow
		"audit" in d.obligations
	}
	denied_with(decide(req(user("u-admin", "t1", ["admin"], false), "user-data:delete", tenant_resource("t1"))), "mfa-required")
	not decide(req(user("u-member", "t1", ["member"], true), "user-data:delete", tenant_resource("t1"))).allow
	not decide(req(user("x-owner", "t2", ["owner"], true), "user-data:delete", tenant_resource("t1"))).allow
}

test_retention_policy_is_a_tenant_setting if {
	d := decide(req(user("u-admin", "t1", ["admin"], false), "settings:read", tenant_resource("t1")))
	d.allow
	denied_with(decide(req(user("u-admin", "t1", ["admin"], false), "settings:write", tenant_resource("t1"))), "mfa-required")
	decide(req(user("u-admin", "t1", ["admin"], true), "settings:write", tenant_resource("t1"))).allow
	not decide(req(user("u-aud", "t1", ["auditor"], true), "settings:write", tenant_resource("t1"))).allow
}

test_staff_cannot_erase_or_restore_even_with_grant if {
	every a in ["meeting:restore", "user-data:delete", "tenant-data:delete", "settings:write"] {
		not decide(staff_req(a, tenant_resource("t1"), [grant], true)).allow
	}
}
