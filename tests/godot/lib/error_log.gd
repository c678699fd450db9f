## Collects the errors (not warnings) Godot reports while it is installed with OS.add_logger, so a suite can
## check what a call printed.
extends Logger

var errors: Array[String] = []


func _log_error(_function: String, _file: String, _line: int, code: String, rationale: String, _editor_notify: bool, error_type: int, _script_backtraces: Array[ScriptBacktrace]) -> void:
	if error_type == ERROR_TYPE_ERROR:
		errors.append(code + rationale)
