# Support staff (subject.kind == "staff"): no tenant of their own and no standing access.
# They see a tenant's meetings only through an active grant the tenant approved, for read
# actions, with MFA; every staff decision carries the "audit" and "staff-access" obligations.
package confide.authz

# Longest time a grant may be valid: expires_at - approved_at <= 72 h.
max_grant_ms := ((72 * 60) * 60) * 1000

# --- grant:request: a request, not access -------------------------------------------------

permits contains "staff-grant-request" if {
	is_staff
	action == "grant:request"
	resource_tenant != ""
	context_reason != ""
}

denials contains "reason-required" if {
	is_staff
	action == "grant:request"
	context_reason == ""
}

# --- grant:list: staff see their own requests and grants (resource.owner = the staff id) ----

permits contains "staff-own-grants" if {
	is_staff
	staff_lists_own_grants
}

staff_lists_own_grants if {
	action == "grant:list"
	resource_tenant != ""
	resource_owner != ""
	resource_owner == subject_id
}

# --- reads under a grant -----------------------------------------------------------------

permits contains concat("", ["staff-grant:", str_field(grants[i], "id")]) if {
	is_staff
	staff_grant_actions[action]
	some i in active_grants
}

denials contains "staff-tenant-not-empty" if {
	is_staff
	subject_tenant != ""
}

denials contains "resource-tenant-missing" if {
	is_staff
	resource_tenant == ""
}

denials contains "staff-action-not-permitted" if {
	is_staff
	known_actions[action]
	action != "grant:request"
	not staff_grant_actions[action]
	not staff_lists_own_grants
}

denials contains "mfa-required" if {
	is_staff
	staff_grant_actions[action]
	not subject_mfa
}

denials contains "context-time-missing" if {
	is_staff
	staff_grant_actions[action]
	now == null
}

denials contains "staff-no-grant" if {
	is_staff
	staff_grant_actions[action]
	count(grants) == 0
}

# When no grant is active, say why each one failed (rule names only).
denials contains reason if {
	is_staff
	staff_grant_actions[action]
	count(active_grants) == 0
	some [_, reason] in grant_failures
}

# Indexes of grants that pass every check for this request.
active_grants contains i if {
	some i, _ in grants
	not failed_grant(i)
}

failed_grant(i) if grant_failures[[i, _]]

# --- grant checks: [grant index, rule that failed] -----------------------------------------

grant_failures contains [i, "grant-id-missing"] if {
	some i, g in grants
	str_field(g, "id") == ""
}

grant_failures contains [i, "grant-tenant-mismatch"] if {
	some i, g in grants
	not grant_tenant_matches(g)
}

grant_failures contains [i, "grant-staff-mismatch"] if {
	some i, g in grants
	str_field(g, "staff_id") != subject_id
}

grant_failures contains [i, "grant-reason-missing"] if {
	some i, g in grants
	trim_space(str_field(g, "reason")) == ""
}

# Missing or non-boolean `revoked` counts as revoked: fail closed.
grant_failures contains [i, "grant-revoked"] if {
	some i, g in grants
	bool_field(g, "revoked") != false
}

grant_failures contains [i, "grant-unapproved"] if {
	some i, g in grants
	not grant_approved(g)
}

grant_failures contains [i, "grant-self-approved"] if {
	some i, g in grants
	str_field(g, "approved_by") == str_field(g, "staff_id")
}

grant_failures contains [i, "grant-expired"] if {
	some i, g in grants
	not grant_unexpired(g)
}

grant_failures contains [i, "grant-too-long"] if {
	some i, g in grants
	not grant_within_max_duration(g)
}

grant_failures contains [i, "grant-scope-invalid"] if {
	some i, g in grants
	not {"tenant", "meeting"}[str_field(g, "scope")]
}

# A meeting-scoped grant covers only its meeting: not another meeting, and not listing.
grant_failures contains [i, "grant-scope-mismatch"] if {
	some i, g in grants
	str_field(g, "scope") == "meeting"
	not grant_meeting_matches(g)
}

grant_tenant_matches(g) if {
	str_field(g, "tenant") != ""
	str_field(g, "tenant") == resource_tenant
}

grant_approved(g) if {
	str_field(g, "approved_by") != ""
	approved_at := num_field(g, "approved_at")
	approved_at != null
	now != null
	approved_at <= now
}

grant_unexpired(g) if {
	expires_at := num_field(g, "expires_at")
	expires_at != null
	now != null
	now < expires_at
}

grant_within_max_duration(g) if {
	approved_at := num_field(g, "approved_at")
	expires_at := num_field(g, "expires_at")
	approved_at != null
	expires_at != null
	expires_at - approved_at <= max_grant_ms
}

grant_meeting_matches(g) if {
	str_field(g, "meeting") != ""
	str_field(g, "meeting") == resource_meeting
}
