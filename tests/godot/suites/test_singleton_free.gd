## `Steam.free()` from a script is refused with an error: the singleton, the `Steam` name and the per-frame
## callbacks keep working, and the game exits cleanly.
## args: --steam-backend=local --steam-local-id=43
extends SceneTree

const Check = preload("res://lib/check.gd")

var t := Check.new()
var frames := 0


func _init() -> void:
	var steam: Object = Engine.get_singleton("SteamNetworkingMessages")
	# An app ID of its own: it stays out of other suites' getVisiblePeers().
	t.eq(steam.steamInitEx(3999999003)["status"], 0, "the local backend initialises")
	steam.free()
	t.ok(is_instance_valid(steam), "the singleton is still a valid object after free()")
	Steam.free()
	t.ok(Engine.get_singleton("Steam") == steam, "Steam is still the same singleton")
	t.eq(steam.getSteamID(), 76561197960265728 + 43, "calls still work")
	t.eq(steam.getBackend(), "local", "the backend still runs")
	t.eq(steam.sendMessageToUser(76561197960265728 + 60, PackedByteArray([1]), 8, 0), 1, "sends still work")


## A few frames: the per-frame callbacks run on the singleton that was not freed.
func _process(_delta: float) -> bool:
	frames += 1
	if frames < 5:
		return false
	t.eq(Steam.receiveMessagesOnChannel(0, 10), [], "receiving still works after frames ran")
	t.finish(self)
	return false
