# The decision object itself: shape, default deny, malformed input.
package confide.authz_test

import data.confide.authz

test_decision_shape if {
	d := decide(req(user("u-admin", "t1", ["admin"], true), "meeting:list", tenant_resource("t1")))
	object.keys(d) == {"allow", "reasons", "obligations"}
	is_boolean(d.allow)
	is_array(d.reasons)
	is_array(d.obligations)
}

test_empty_input_denied if {
	d := decide({})
	d.allow == false
	d.reasons == ["action-unknown", "subject-invalid", "subject-kind-unknown"]
	d.obligations == ["audit"]
}

test_non_object_input_denied if {
	d := decide("admin")
	d.allow == false
	denied_with(d, "subject-kind-unknown")
}

test_unknown_subject_kind_denied if {
	s := object.union(user("u-admin", "t1", ["admin"], true), {"kind": "robot"})
	d := decide(req(s, "meeting:list", tenant_resource("t1")))
	d.reasons == ["subject-kind-unknown"]
}

test_subject_without_id_denied if {
	d := decide(req(user("", "t1", ["admin"], true), "meeting:list", tenant_resource("t1")))
	d.reasons == ["subject-invalid"]
}

test_unknown_action_denied if {
	every a in {"", "transcript:write", "TRANSCRIPT:READ", "meeting:*", "*"} {
		d := decide(req(user("u-owner", "t1", ["owner"], true), a, m1))
		d.reasons == ["action-unknown"]
	}
}

test_action_not_a_string_denied if {
	d := decide(req(user("u-owner", "t1", ["owner"], true), ["meeting:list"], tenant_resource("t1")))
	denied_with(d, "action-unknown")
}

test_reasons_never_carry_resource_data if {
	i := req(user("u-member", "t1", ["member"], true), "transcript:read", meeting("t2", "secret-owner", "secret-meeting"))
	d := decide(i)
	every r in d.reasons {
		not contains(r, "secret")
		not contains(r, "t2")
	}
}

# Safety net: with no permit and no named denial the decision is still a deny.
test_default_deny_without_any_rule if {
	d := authz.decision with input as {} with authz.denials as set() with authz.permits as set()
	d.allow == false
	d.reasons == ["default-deny"]
	d.obligations == ["audit"]
}
