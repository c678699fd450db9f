## What every benchmark script shares: opening the link its --impl names, the handshake with the peer, and
## stopping with a result code. Scripts extend this instead of SceneTree.
extends SceneTree

const BenchLib = preload("res://lib/bench.gd")

var link
var timeout_s := 120.0


## Opens the link and waits for the peer; on failure stops the process and returns false.
func start(args: Dictionary) -> bool:
	timeout_s = float(args.get("timeout-s", "120"))
	link = load("res://lib/%s_link.gd" % args.get("impl", "steam")).new(self, args)
	var error: String = link.open()
	if error != "":
		await stop(error)
		return false
	print("BENCH_READY")
	if not await link.handshake(timeout_s):
		await stop("handshake timed out")
		return false
	return true


func stop(error: String) -> void:
	if error != "":
		BenchLib.fail("%s (%s)" % [error, link.role if link != null else "?"])
	if link != null:
		link.close()
		await link.next_frame()
	quit(1 if error != "" else 0)
