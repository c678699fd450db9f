## Every method called thousands of times with random Variants of every type: Godot never crashes and each
## call returns its documented value. Arguments Godot cannot convert to a typed parameter (int, bool,
## PackedByteArray, String) are refused before our code runs: Godot prints an error and the call returns null.
## args: --steam-backend=local --steam-local-id=42
extends SceneTree

const Check = preload("res://lib/check.gd")
const CALLS := 4000

var t := Check.new()
var steam: Object
var rng := RandomNumberGenerator.new()
var freed_object: Object
var live_object := RefCounted.new()


func _init() -> void:
	rng.seed = 20261123
	freed_object = Node.new()
	freed_object.free()
	steam = Engine.get_singleton("SteamNetworkingMessages")
	t.eq(steam.steamInitEx()["status"], 0, "the local backend initialises")
	var wrong := {}
	for i in CALLS:
		var method: String = ["acceptSessionWithUser", "closeChannelWithUser", "closeSessionWithUser",
			"getSessionConnectionInfo", "receiveMessagesOnChannel", "sendMessageToUser", "addIdentity",
			"getIdentitySteamID64", "setIdentitySteamID64", "clearIdentity", "getSteamID",
			"get_steam_init_result", "run_callbacks", "isSteamRunning"][i % 14]
		var args := random_args(method)
		var result = invoke(method, args)
		if not documented(method, result):
			wrong[method] = "%s -> %s" % [var_to_str(args).left(80), var_to_str(result).left(80)]
	t.eq(wrong, {}, "%d random calls returned only documented values" % CALLS)
	t.eq(steam.getSteamID(), 76561197960265728 + 42, "the backend still runs")
	# Still usable for real work afterwards.
	t.eq(steam.receiveMessagesOnChannel(0, 10), [], "receiving still works")
	t.finish(self)


## Calls through a function of its own: a refused argument ends only this function (returning null).
func invoke(method: String, args: Array) -> Variant:
	return steam.callv(method, args)


func random_args(method: String) -> Array:
	var count: int = {"acceptSessionWithUser": 1, "closeChannelWithUser": 2, "closeSessionWithUser": 1,
		"getSessionConnectionInfo": 3, "receiveMessagesOnChannel": 2, "sendMessageToUser": 4,
		"addIdentity": 1, "getIdentitySteamID64": 1, "setIdentitySteamID64": 2, "clearIdentity": 1}.get(method, 0)
	var args := []
	for i in count:
		args.append(random_variant())
	return args


func random_variant() -> Variant:
	match rng.randi_range(0, 15):
		0: return null
		1: return rng.randi_range(-5, 5)
		2: return [0, -1, 9223372036854775807, -9223372036854775808, 1 << 40, 76561197960265728 + rng.randi_range(0, 100)][rng.randi_range(0, 5)]
		3: return rng.randf_range(-1e10, 1e10)
		4: return ["", "steamid:", "steamid:76561197960287930", "nobody", "steamid:-1", "x".repeat(5000)][rng.randi_range(0, 5)]
		5: return &"name"
		6: return [1, "two", null]
		7: return {"a": 1}
		8: return Vector2(1, 2)
		9: return PackedByteArray([1, 2, 3])
		10: return PackedByteArray()
		11: return live_object
		12: return freed_object
		13: return rng.randi_range(0, 1) == 1
		14: return Color.RED
		_: return NodePath("a/b")


func documented(method: String, result: Variant) -> bool:
	# null: Godot refused an argument type before the call.
	if result == null and method not in ["run_callbacks", "setIdentitySteamID64", "clearIdentity"]:
		return true
	match method:
		"acceptSessionWithUser", "closeChannelWithUser", "closeSessionWithUser", "addIdentity", "isSteamRunning":
			return result is bool
		"getSessionConnectionInfo", "get_steam_init_result":
			return result is Dictionary
		"receiveMessagesOnChannel":
			return result is Array and result.is_empty()
		"sendMessageToUser":
			return result is int and result in [1, 3, 8, 19, 25]
		"getIdentitySteamID64", "getSteamID":
			return result is int
		_:
			return result == null
