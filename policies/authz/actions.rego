# Vocabulary: the actions Confide knows, how they are classified, and which tenant role may
# perform which action. Everything not listed here is denied.
package confide.authz

# Reads of meeting content. Every one is audited, whoever performs it.
content_read_actions := {
	"meeting:read",
	"transcript:read",
	"report:read",
	"alerts:read",
}

# What support staff may do under an active grant: content reads and listing, nothing else.
staff_grant_actions := content_read_actions | {"meeting:list"}

# Staff-access grants: staff request (grant:request, with a reason); the tenant's owners and
# admins decide a request — approve or deny — (grant:approve), revoke a grant (grant:revoke)
# and list them (grant:list); staff list only their own (staff.rego). Auditors read and
# export the audit log and read deletion certificates, never content.

# Destructive and administrative actions: the subject must have authenticated with MFA.
# Any action ending in ":delete" is destructive, so a new *:delete action is covered too.
# meeting:restore brings an archived meeting back into the normal APIs (docs/adr/0012).
# tenant-key:rotate adds a version to the tenant's KMS key and rewraps its data keys
# (docs/adr/0010); its status is read with settings:read.
mfa_listed_actions := {
	"meeting:restore",
	"settings:write",
	"tenant-key:rotate",
	"grant:approve",
	"grant:revoke",
	"audit:export",
}

mfa_required(action) if endswith(action, ":delete")

mfa_required(action) if mfa_listed_actions[action]

# Actions whose allowed decisions carry the "audit" obligation (promise 6: every read of
# meeting content and every administrative action is appended to the tenant's audit log).
# Denied decisions always carry "audit" as well (see decision.rego).
audited(action) if content_read_actions[action]

audited(action) if mfa_required(action)

audited("grant:request")

# Tenant roles. A member reads only the meetings they own (member_own_actions); the other
# entries apply to every resource of the subject's tenant.
member_actions := {"meeting:list", "meeting:stream"}

member_own_actions := content_read_actions

auditor_actions := {
	"audit:read",
	"audit:export",
	"certificate:read",
	"meeting:list",
}

admin_actions := (content_read_actions | member_actions) | {
	"meeting:delete",
	"meeting:restore",
	"user-data:delete",
	"settings:read",
	"settings:write",
	"tenant-key:rotate",
	"audit:read",
	"audit:export",
	"certificate:read",
	"grant:approve",
	"grant:revoke",
	"grant:list",
}

owner_actions := admin_actions | {"tenant-data:delete"}

# role -> actions it may perform on any resource of its own tenant
role_actions := {
	"owner": owner_actions,
	"admin": admin_actions,
	"member": member_actions,
	"auditor": auditor_actions,
}

# role -> actions it may perform only on resources it owns (resource.owner == subject.id)
role_own_actions := {"member": member_own_actions}

# Every non-RPC action, so that a typo is reported as "action-unknown" rather than as a role
# problem.
known_actions := (owner_actions | auditor_actions) | {
	"grant:request",
}
