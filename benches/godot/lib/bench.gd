## Helpers shared by the benchmark scripts: user arguments, result lines for the xtask, resident memory,
## percentiles. Preloaded (class_name needs an imported project, which headless runs skip).
extends RefCounted

## Steam ID of local ID 0 on the local backend; local ID N is BASE_ID + N.
const BASE_ID := 76561197960265728
## Godot's ENetConnection baseline listens on this + local ID: away from the local backend's ports
## (47500 + 1..64), which its instances announce themselves to.
const ENET_BASE_PORT := 47600


## The user arguments (after `--`) as a dictionary: `--key=value` gives "key": "value", `--flag` "flag": "".
static func user_args() -> Dictionary:
	var args := {}
	for arg in OS.get_cmdline_user_args():
		var text: String = arg.trim_prefix("--")
		var at := text.find("=")
		if at < 0:
			args[text] = ""
		else:
			args[text.substr(0, at)] = text.substr(at + 1)
	return args


## Prints one machine-readable result line, `BENCH {json}`, which the xtask parses.
static func emit(result: Dictionary) -> void:
	print("BENCH ", JSON.stringify(result))


## Prints a failure the xtask reports, `BENCH_ERROR text`.
static func fail(text: String) -> void:
	print("BENCH_ERROR ", text)


## This process's resident memory (VmRSS) in KiB, from /proc/self/status; -1 where there is none.
static func rss_kib() -> int:
	var file := FileAccess.open("/proc/self/status", FileAccess.READ)
	if file == null:
		return -1
	while not file.eof_reached():
		var line := file.get_line()
		if line.begins_with("VmRSS:"):
			return int(line.trim_prefix("VmRSS:").strip_edges().trim_suffix("kB").strip_edges())
	return -1


## The value below which `fraction` of `values` lie (nearest rank); `values` need not be sorted.
static func percentile(values: Array, fraction: float) -> float:
	if values.is_empty():
		return 0.0
	var sorted := values.duplicate()
	sorted.sort()
	var rank := clampi(ceili(fraction * sorted.size()) - 1, 0, sorted.size() - 1)
	return float(sorted[rank])


## A payload of `size` bytes with varied content.
static func payload(size: int) -> PackedByteArray:
	var bytes := PackedByteArray()
	bytes.resize(size)
	for i in size:
		bytes[i] = (i * 31 + 7) & 0xff
	return bytes
