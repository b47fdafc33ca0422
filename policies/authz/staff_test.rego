# Support staff: nothing without an active, approved, unexpired, unrevoked grant of at most
# 72 h for the resource's tenant (and meeting, for a meeting-scoped grant); reads only; MFA.
package confide.authz_test

staff_reads := content_reads | {"meeting:list"}

# --- the happy path ----------------------------------------------------------------------------

test_staff_reads_with_active_tenant_grant if {
	every a in staff_reads {
		d := decide(staff_req(a, resource_for(a, "t1", "u-member"), [grant], true))
		d.allow
		d.reasons == ["staff-grant:g1"]
		d.obligations == ["audit", "staff-access"]
	}
}

test_staff_meeting_grant_covers_its_meeting if {
	g := grant_with({"scope": "meeting", "meeting": "m1"})
	every a in content_reads {
		decide(staff_req(a, m1, [g], true)).allow
	}
}

test_staff_one_active_grant_among_failed_ones_suffices if {
	grants := [grant_with({"id": "g0", "revoked": true}), grant_with({"id": "g2"}), grant_with({"id": "g3", "tenant": "t2"})]
	d := decide(staff_req("transcript:read", m1, grants, true))
	d.allow
	d.reasons == ["staff-grant:g2"]
}

test_staff_grant_exactly_72h_allowed if {
	g := grant_with({"approved_at": now_ms - hour_ms, "expires_at": (now_ms - hour_ms) + (72 * hour_ms)})
	decide(staff_req("report:read", m1, [g], true)).allow
}

test_staff_grant_approved_just_now if {
	g := grant_with({"approved_at": now_ms})
	decide(staff_req("report:read", m1, [g], true)).allow
}

# --- without a usable grant: denied, with the rule that failed --------------------------------

test_staff_without_grant_sees_nothing if {
	bad := {a |
		some a in (all_actions - {"grant:request"})
		d := decide(staff_req(a, resource_for(a, "t1", "u-member"), [], true))
		d.allow
	}
	count(bad) == 0
	d := decide(staff_req("transcript:read", m1, [], true))
	d.reasons == ["staff-no-grant"]
	d.obligations == ["audit", "staff-access"]
}

test_staff_grants_missing_from_context if {
	i := {"subject": staff("s1", true), "action": "transcript:read", "resource": m1, "context": {"now": now_ms}}
	denied_with(decide(i), "staff-no-grant")
}

test_staff_expired_grant if {
	g := grant_with({"expires_at": now_ms - 1})
	denied_with(decide(staff_req("transcript:read", m1, [g], true)), "grant-expired")
}

test_staff_grant_expiring_now_is_expired if {
	g := grant_with({"expires_at": now_ms})
	d := decide(staff_req("transcript:read", m1, [g], true))
	d.reasons == ["grant-expired"]
}

test_staff_grant_without_expiry if {
	g := object.remove(grant, {"expires_at"})
	d := decide(staff_req("transcript:read", m1, [g], true))
	denied_with(d, "grant-expired")
	denied_with(d, "grant-too-long")
}

test_staff_revoked_grant if {
	g := grant_with({"revoked": true})
	d := decide(staff_req("transcript:read", m1, [g], true))
	d.reasons == ["grant-revoked"]
}

test_staff_grant_revoked_flag_missing_counts_as_revoked if {
	g := object.remove(grant, {"revoked"})
	denied_with(decide(staff_req("transcript:read", m1, [g], true)), "grant-revoked")
}

test_staff_unapproved_grant_no_approver if {
	g := grant_with({"approved_by": ""})
	denied_with(decide(staff_req("transcript:read", m1, [g], true)), "grant-unapproved")
}

test_staff_unapproved_grant_no_approval_time if {
	g := object.remove(grant, {"approved_at"})
	d := decide(staff_req("transcript:read", m1, [g], true))
	denied_with(d, "grant-unapproved")
	denied_with(d, "grant-too-long")
}

test_staff_grant_approved_in_the_future if {
	g := grant_with({"approved_at": now_ms + 1})
	d := decide(staff_req("transcript:read", m1, [g], true))
	d.reasons == ["grant-unapproved"]
}

test_staff_self_approved_grant if {
	g := grant_with({"approved_by": "s1"})
	denied_with(decide(staff_req("transcript:read", m1, [g], true)), "grant-self-approved")
}

test_staff_grant_over_72h if {
	g := grant_with({"approved_at": now_ms - hour_ms, "expires_at": ((now_ms - hour_ms) + (72 * hour_ms)) + 1})
	d := decide(staff_req("transcript:read", m1, [g], true))
	d.reasons == ["grant-too-long"]
}

test_staff_other_tenant_grant if {
	g := grant_with({"tenant": "t2"})
	d := decide(staff_req("transcript:read", m1, [g], true))
	d.reasons == ["grant-tenant-mismatch"]
}

test_staff_grant_for_t1_does_not_open_t2 if {
	every a in staff_reads {
		d := decide(staff_req(a, resource_for(a, "t2", "x-member"), [grant], true))
		denied_with(d, "grant-tenant-mismatch")
	}
}

test_staff_grant_without_tenant if {
	g := grant_with({"tenant": ""})
	denied_with(decide(staff_req("meeting:list", tenant_resource(""), [g], true)), "grant-tenant-mismatch")
}

test_staff_grant_of_another_staff_member if {
	g := grant_with({"staff_id": "s2"})
	d := decide(staff_req("transcript:read", m1, [g], true))
	d.reasons == ["grant-staff-mismatch"]
}

test_staff_grant_without_reason if {
	g := grant_with({"reason": "  "})
	d := decide(staff_req("transcript:read", m1, [g], true))
	d.reasons == ["grant-reason-missing"]
}

test_staff_grant_without_id if {
	g := object.remove(grant, {"id"})
	d := decide(staff_req("transcript:read", m1, [g], true))
	d.reasons == ["grant-id-missing"]
}

test_staff_meeting_grant_for_another_meeting if {
	g := grant_with({"scope": "meeting", "meeting": "m2"})
	every a in content_reads {
		d := decide(staff_req(a, m1, [g], true))
		d.reasons == ["grant-scope-mismatch"]
	}
}

test_staff_meeting_grant_does_not_list_meetings if {
	g := grant_with({"scope": "meeting", "meeting": "m1"})
	denied_with(decide(staff_req("meeting:list", tenant_resource("t1"), [g], true)), "grant-scope-mismatch")
}

test_staff_meeting_grant_without_meeting if {
	g := grant_with({"scope": "meeting", "meeting": ""})
	denied_with(decide(staff_req("transcript:read", meeting("t1", "u-member", ""), [g], true)), "grant-scope-mismatch")
}

test_staff_grant_unknown_scope if {
	g := grant_with({"scope": "cluster"})
	d := decide(staff_req("transcript:read", m1, [g], true))
	d.reasons == ["grant-scope-invalid"]
}

test_staff_failures_of_every_grant_are_reported if {
	grants := [grant_with({"revoked": true}), grant_with({"id": "g2", "expires_at": now_ms - 1})]
	d := decide(staff_req("transcript:read", m1, grants, true))
	d.reasons == ["grant-expired", "grant-revoked"]
}

test_staff_non_object_grants_ignored if {
	d := decide(staff_req("transcript:read", m1, ["g1", 7], true))
	d.reasons == ["staff-no-grant"]
}

# --- MFA, time, identity -------------------------------------------------------------------------

test_staff_without_mfa_denied_even_with_grant if {
	every a in staff_reads {
		d := decide(staff_req(a, resource_for(a, "t1", "u-member"), [grant], false))
		d.reasons == ["mfa-required"]
		d.obligations == ["audit", "staff-access"]
	}
}

test_staff_without_time_in_context if {
	i := {"subject": staff("s1", true), "action": "transcript:read", "resource": m1, "context": {"grants": [grant]}}
	d := decide(i)
	denied_with(d, "context-time-missing")
	denied_with(d, "grant-expired")
	denied_with(d, "grant-unapproved")
}

test_staff_time_not_a_number if {
	i := {"subject": staff("s1", true), "action": "transcript:read", "resource": m1, "context": {"now": "1764000000000", "grants": [grant]}}
	denied_with(decide(i), "context-time-missing")
}

test_staff_with_a_tenant_is_malformed if {
	s := object.union(staff("s1", true), {"tenant": "t1"})
	i := req_ctx(s, "transcript:read", m1, ctx([grant], ""))
	d := decide(i)
	d.reasons == ["staff-tenant-not-empty"]
}

test_staff_roles_are_ignored if {
	s := object.union(staff("s1", true), {"roles": ["owner"]})
	d := decide(req_ctx(s, "settings:read", tenant_resource("t1"), ctx([grant], "")))
	d.reasons == ["staff-action-not-permitted"]
}

test_staff_resource_without_tenant if {
	d := decide(staff_req("meeting:list", {}, [grant], true))
	denied_with(d, "resource-tenant-missing")
}

# --- only reads, even with a grant ----------------------------------------------------------------

test_staff_writes_and_admin_denied_even_with_grant if {
	bad := {a |
		some a in ((all_actions - staff_reads) - {"grant:request"})
		d := decide(staff_req(a, resource_for(a, "t1", "u-member"), [grant], true))
		not denied_with(d, "staff-action-not-permitted")
	}
	count(bad) == 0
}

test_staff_cannot_call_rpc if {
	denied_with(decide(staff_req("rpc:confide.storage.v1.StorageService/GetTranscript", m1, [grant], true)), "rpc-service-only")
}

# --- grant:request: any tenant, with a reason ------------------------------------------------------

test_staff_requests_grant_for_any_tenant if {
	every t in {"t1", "t2"} {
		d := decide(req_ctx(staff("s1", false), "grant:request", tenant_resource(t), ctx([], "ticket 4711")))
		d.allow
		d.reasons == ["staff-grant-request"]
		d.obligations == ["audit", "staff-access"]
	}
}

test_staff_grant_request_needs_reason if {
	d := decide(req_ctx(staff("s1", true), "grant:request", tenant_resource("t1"), ctx([], " ")))
	d.reasons == ["reason-required"]
}

test_staff_grant_request_needs_tenant if {
	d := decide(req_ctx(staff("s1", true), "grant:request", tenant_resource(""), ctx([], "ticket")))
	d.reasons == ["resource-tenant-missing"]
}

test_users_cannot_request_grants if {
	d := decide(req_ctx(user("u-owner", "t1", ["owner"], true), "grant:request", tenant_resource("t1"), ctx([], "why")))
	denied_with(d, "role-not-permitted")
}

# --- grant:list: only their own requests and grants ---------------------------------------------

own_grants(tenant) := {"tenant": tenant, "owner": "s1", "meeting": "", "kind": "grants"}

test_staff_lists_own_grants_without_a_grant if {
	d := decide(staff_req("grant:list", own_grants("t1"), [], false))
	d.allow
	d.reasons == ["staff-own-grants"]
	d.obligations == ["audit", "staff-access"]
}

test_staff_cannot_list_other_staff_grants if {
	d := decide(staff_req("grant:list", {"tenant": "t1", "owner": "s2", "meeting": "", "kind": "grants"}, [grant], true))
	denied_with(d, "staff-action-not-permitted")
	not d.allow
}

test_staff_cannot_list_all_grants if {
	d := decide(staff_req("grant:list", tenant_resource("t1"), [grant], true))
	denied_with(d, "staff-action-not-permitted")
}

test_staff_own_grants_need_tenant if {
	d := decide(staff_req("grant:list", own_grants(""), [], true))
	denied_with(d, "resource-tenant-missing")
}

test_staff_cannot_approve_or_revoke_grants if {
	every a in {"grant:approve", "grant:revoke"} {
		d := decide(staff_req(a, own_grants("t1"), [grant], true))
		denied_with(d, "staff-action-not-permitted")
	}
}
