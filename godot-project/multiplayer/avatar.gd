## A player's avatar in the multiplayer demo: a colored square with its peer ID, spawned by the host's
## MultiplayerSpawner (multiplayer.gd's spawn function builds it on every peer from the spawn data) and owned by
## its player, whose MultiplayerSynchronizer sends its position to everyone else.
extends Node2D

## Side of the square, in pixels.
const SIZE := 22.0

## The player's peer ID (1 for the host) and Steam ID.
var peer_id := 0
var steam_id := 0
## Whether this avatar is the local player's.
var mine := false
var color := Color.WHITE
## The player's persona name once known ("" until then): shown instead of the peer ID.
var persona := "":
	set(value):
		persona = value
		queue_redraw()


func _init() -> void:
	# Only the position is replicated: with the spawn (so it appears in place) and then every network frame,
	# unreliably, from the avatar's authority (its player) to everyone else.
	var config := SceneReplicationConfig.new()
	config.add_property(^".:position")
	config.property_set_spawn(^".:position", true)
	config.property_set_replication_mode(^".:position", SceneReplicationConfig.REPLICATION_MODE_ALWAYS)
	var synchronizer := MultiplayerSynchronizer.new()
	synchronizer.name = "Synchronizer"
	synchronizer.replication_config = config
	add_child(synchronizer)


## Font size of the label under the square.
const LABEL_FONT_SIZE := 12


func _draw() -> void:
	var square := Rect2(Vector2(-SIZE, -SIZE) / 2.0, Vector2(SIZE, SIZE))
	draw_rect(square, color)
	if mine:
		draw_rect(square, Color.WHITE, false, 2.0)
	draw_string(ThemeDB.fallback_font, Vector2(-SIZE / 2.0, SIZE / 2.0 + 13.0), _label(), HORIZONTAL_ALIGNMENT_LEFT, -1, LABEL_FONT_SIZE, color)


## What the avatar draws, square and label, around its position.
func extent() -> Rect2:
	var label_size := ThemeDB.fallback_font.get_string_size(_label(), HORIZONTAL_ALIGNMENT_LEFT, -1, LABEL_FONT_SIZE)
	var top_left := Vector2(-SIZE, -SIZE) / 2.0
	var bottom_right := Vector2(maxf(SIZE / 2.0, -SIZE / 2.0 + label_size.x), SIZE / 2.0 + 13.0 + ThemeDB.fallback_font.get_descent(LABEL_FONT_SIZE))
	return Rect2(top_left, bottom_right - top_left)


func _label() -> String:
	var who := "peer %d" % peer_id if persona == "" else persona
	return "you: %s" % who if mine else who
