# Confide authorization: the entrypoint `confide/authz/decision`.
#
# Every access in Confide (a REST call at the gateway, a gRPC call between services) is
# decided here. The rules are split by subject kind:
#   users.rego     tenant users and their roles (owner, admin, member, auditor)
#   staff.rego     support staff, only through time-limited grants the tenant approved
#   services.rego  service identities, only for the RPCs they need
# and actions.rego holds the vocabulary. The input and decision schema is documented in
# policies/README.md.
#
# How a decision is made: each rule file adds strings to `permits` (a rule that allows the
# action matched) and to `denials` (a rule that must hold failed). The action is allowed iff
# at least one rule permits it and no rule denies it; everything else is denied (default
# deny). Reasons never carry data about the resource, only rule names (and, for staff, the
# id of the grant that allowed the access).
#
# The policy is compiled to WASM (no time.now_ns, no http.send): the current time and the
# tenant's staff grants come in the input.
package confide.authz

decision := {
	"allow": allow,
	"reasons": reasons,
	"obligations": sort(obligation_set),
}

default allow := false

allow if {
	count(permits) > 0
	count(denials) == 0
}

reasons := sort(permits) if {
	allow
} else := sort(denials) if {
	count(denials) > 0
} else := ["default-deny"]

# --- obligations -----------------------------------------------------------------------
# "audit": the caller must append the decision to the tenant's audit log before acting.
# "staff-access": the access is by support staff; the caller records it as such (and may
# notify the tenant).

obligation_set contains "audit" if {
	allow
	audited(action)
}

# Every denied decision is audited (promise 6).
obligation_set contains "audit" if not allow

obligation_set contains "audit" if is_staff

obligation_set contains "staff-access" if is_staff

# --- checks common to every subject kind ---------------------------------------------------

denials contains "subject-kind-unknown" if not known_kinds[subject_kind]

denials contains "subject-invalid" if subject_id == ""

denials contains "action-unknown" if {
	not is_rpc
	not known_actions[action]
}

# rpc:* actions are service-to-service calls; no user or staff member calls an RPC as such.
denials contains "rpc-service-only" if {
	is_rpc
	subject_kind != "service"
}

known_kinds := {"user", "service", "staff"}

is_user if subject_kind == "user"

is_staff if subject_kind == "staff"

is_service if subject_kind == "service"

is_rpc if startswith(action, "rpc:")

# --- normalized input --------------------------------------------------------------------
# A missing or mistyped field becomes "" / null / false / empty, so that no rule is silently
# skipped because a reference was undefined: every check below fails closed.

str_field(obj, key) := v if {
	v := obj[key]
	is_string(v)
} else := ""

num_field(obj, key) := v if {
	v := obj[key]
	is_number(v)
} else := null

bool_field(obj, key) := v if {
	v := obj[key]
	is_boolean(v)
} else := null

obj_field(obj, key) := v if {
	v := obj[key]
	is_object(v)
} else := {}

subject := obj_field(input, "subject")

resource := obj_field(input, "resource")

context := obj_field(input, "context")

subject_id := str_field(subject, "id")

subject_tenant := str_field(subject, "tenant")

subject_kind := str_field(subject, "kind")

subject_service := str_field(subject, "service")

subject_mfa if bool_field(subject, "mfa") == true

subject_roles contains role if {
	some role in subject.roles
	is_string(role)
}

action := str_field(input, "action")

resource_tenant := str_field(resource, "tenant")

resource_owner := str_field(resource, "owner")

resource_meeting := str_field(resource, "meeting")

# Unix milliseconds, or null when absent.
now := num_field(context, "now")

context_reason := trim_space(str_field(context, "reason"))

grants := [g | some g in context.grants; is_object(g)]
