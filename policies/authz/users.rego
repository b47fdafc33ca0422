# Tenant users (subject.kind == "user"): what a role may do, inside the user's own tenant only.
package confide.authz

# --- permits -------------------------------------------------------------------------------

# A role that may perform the action on any resource of the tenant.
permits contains concat("", ["role:", role]) if {
	is_user
	some role in subject_roles
	role_actions[role][action]
}

# A role that may perform the action only on resources the subject owns (a member reading
# their own meetings).
permits contains concat("", ["role:", role, ":own"]) if {
	is_user
	some role in subject_roles
	role_own_actions[role][action]
	user_owns_resource
}

# --- denials -------------------------------------------------------------------------------

denials contains "subject-tenant-missing" if {
	is_user
	subject_tenant == ""
}

denials contains "resource-tenant-missing" if {
	is_user
	resource_tenant == ""
}

# Tenant isolation (promise 7): a user never acts on another tenant's resource, whatever
# their role.
denials contains "tenant-isolation" if {
	is_user
	subject_tenant != resource_tenant
}

denials contains "mfa-required" if {
	is_user
	mfa_required(action)
	not subject_mfa
}

# A role could perform the action on its own resources, but this resource is not theirs.
denials contains "owner-only" if {
	is_user
	not user_role_permits
	user_own_role_permits
	not user_owns_resource
}

# No role of the subject covers the action.
denials contains "role-not-permitted" if {
	is_user
	known_actions[action]
	not user_role_permits
	not user_own_role_permits
}

# --- helpers -------------------------------------------------------------------------------

user_role_permits if {
	some role in subject_roles
	role_actions[role][action]
}

user_own_role_permits if {
	some role in subject_roles
	role_own_actions[role][action]
}

user_owns_resource if {
	resource_owner != ""
	resource_owner == subject_id
}
