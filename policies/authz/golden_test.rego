# The golden cases in testdata/decisions.json (shared with the WASM evaluator's tests) must
# be exactly what the rego decides.
package confide.authz_test

test_golden_decisions if {
	count(data.testdata.cases) > 30
	wrong := [c.name |
		some c in data.testdata.cases
		decide(c.input) != c.decision
	]
	wrong == []
}
