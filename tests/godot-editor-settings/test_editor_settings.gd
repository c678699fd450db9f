## Every setting under Project Settings → Steam → Networking Messages, saved by the editor into
## project.godot (this folder's, in the editor's own format), reaches the backend; user arguments (what the
## editor's Customize Run Instances passes) beat them. `cargo xtask test` runs this twice: with no user
## arguments, and with `--steam-broadcast=false`, which also lets the backend start (no LAN broadcast from a
## test).
extends SceneTree

const Check = preload("res://check.gd")
const BASE_STEAM_ID := 76561197960265728

var t := Check.new()
var steam: Object


func _init() -> void:
	steam = Engine.get_singleton("SteamNetworkingMessages")
	var broadcast_off := OS.get_cmdline_user_args().has("--steam-broadcast=false")
	every_saved_setting_is_in_force(broadcast_off)
	if broadcast_off:
		the_saved_backend_and_local_id_start_the_local_backend()
	t.finish(self)


func every_saved_setting_is_in_force(broadcast_off: bool) -> void:
	var settings: Dictionary = steam.getBackendSettings()
	t.eq(settings.get("backend"), "local", "backend")
	t.eq(settings.get("local_id"), 61, "local_id")
	t.eq(settings.get("bind_address"), "127.0.0.3", "bind_address")
	t.eq(settings.get("peers"), PackedStringArray(["76561197960265800@127.0.0.1:47600", "76561197960265801@127.0.0.1:47601"]), "peers")
	t.eq(settings.get("fake_packet_loss_percent"), 12.5, "fake_packet_loss_percent")
	t.eq(settings.get("fake_packet_lag_ms"), 40, "fake_packet_lag_ms")
	t.eq(settings.get("fake_packet_jitter_ms"), 5, "fake_packet_jitter_ms")
	t.eq(settings.get("connect_timeout_ms"), 4000, "connect_timeout_ms")
	t.eq(settings.get("idle_timeout_ms"), 90000, "idle_timeout_ms")
	t.eq(settings.get("lan_broadcast"), not broadcast_off, "lan_broadcast (a user argument beats the saved true)")
	t.eq(settings.get("max_sessions"), 16, "max_sessions")
	t.eq(settings.get("persona_name"), "Ada, the Tester", "persona_name, comma and all")


func the_saved_backend_and_local_id_start_the_local_backend() -> void:
	var result: Dictionary = steam.steamInitEx()
	t.eq(result.get("status"), steam.STEAM_API_INIT_RESULT_OK, "steamInitEx succeeds without Steam: %s" % result.get("verbal"))
	t.eq(steam.getBackend(), "local", "the local backend runs")
	t.eq(steam.getSteamID(), BASE_STEAM_ID + 61, "the Steam ID comes from the saved local_id")
	t.eq(steam.getPersonaName(), "Ada, the Tester", "the persona name comes from the saved persona_name")
	steam.steamShutdown()
