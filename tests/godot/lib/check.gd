## Minimal assertions for the suites: prints PASS/FAIL lines and the `N passed, N failed` summary that
## `cargo xtask test` reads. Preloaded (class_name needs an imported project, which headless runs skip).
extends RefCounted

var passed := 0
var failed := 0


func ok(condition: bool, what: String) -> void:
	if condition:
		passed += 1
		print("PASS ", what)
	else:
		failed += 1
		print("FAIL ", what)


## Equal values of the same Variant type (so 1 and 1.0, or "a" and &"a", differ).
func eq(actual, expected, what: String) -> void:
	var same: bool = typeof(actual) == typeof(expected) and actual == expected
	ok(same, "%s (got %s, expected %s)" % [what, var_to_str(actual), var_to_str(expected)])


## Prints the summary and quits with a code that reflects it.
func finish(tree: SceneTree) -> void:
	print("%d passed, %d failed" % [passed, failed])
	tree.quit(1 if failed > 0 else 0)
