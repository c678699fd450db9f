## The play field: a dark rectangle with the local avatar and every peer's avatar drawn as colored squares.
##
## Positions are normalised (0..1 on both axes), so two windows of different sizes agree on where an avatar
## is. The field takes keyboard focus when clicked; main.gd moves the local avatar only while it has focus, so
## typing in the chat box does not move it.
extends Control

## Side of an avatar square, in pixels.
const AVATAR_SIZE := 22.0
const BACKGROUND := Color(0.10, 0.11, 0.14)
const GRID := Color(1, 1, 1, 0.05)
const GRID_STEP := 32.0
## Keys main.gd reads for movement; this control swallows them so they do not move the GUI focus.
const MOVE_KEYS := [KEY_LEFT, KEY_RIGHT, KEY_UP, KEY_DOWN, KEY_W, KEY_A, KEY_S, KEY_D]

## What to draw: dictionaries with `at` (Vector2, normalised), `color`, `label` and `you` (bool).
var avatars: Array[Dictionary] = []


func _init() -> void:
	focus_mode = Control.FOCUS_ALL
	clip_contents = true
	focus_entered.connect(queue_redraw)
	focus_exited.connect(queue_redraw)


## Replaces the avatars shown and redraws.
func show_avatars(list: Array[Dictionary]) -> void:
	avatars = list
	queue_redraw()


func _gui_input(event: InputEvent) -> void:
	if event is InputEventMouseButton and event.pressed:
		grab_focus()
		accept_event()
	elif event is InputEventKey:
		var key := event as InputEventKey
		if key.keycode == KEY_ESCAPE and key.pressed:
			release_focus()
			accept_event()
		elif key.keycode in MOVE_KEYS or key.physical_keycode in MOVE_KEYS:
			accept_event()


func _draw() -> void:
	draw_rect(Rect2(Vector2.ZERO, size), BACKGROUND)
	var x := GRID_STEP
	while x < size.x:
		draw_line(Vector2(x, 0), Vector2(x, size.y), GRID)
		x += GRID_STEP
	var y := GRID_STEP
	while y < size.y:
		draw_line(Vector2(0, y), Vector2(size.x, y), GRID)
		y += GRID_STEP

	var font := get_theme_default_font()
	var square := Vector2(AVATAR_SIZE, AVATAR_SIZE)
	for avatar in avatars:
		var at: Vector2 = avatar["at"]
		var color: Color = avatar["color"]
		var top_left := at * (size - square)
		draw_rect(Rect2(top_left, square), color)
		if avatar["you"]:
			draw_rect(Rect2(top_left, square), Color.WHITE, false, 2.0)
		# The label goes below the square (above it near the bottom edge), kept inside the field.
		var label: String = avatar["label"]
		var label_width := font.get_string_size(label, HORIZONTAL_ALIGNMENT_LEFT, -1, 12).x
		var label_x := clampf(top_left.x, 2.0, maxf(2.0, size.x - label_width - 2.0))
		var label_y := top_left.y + AVATAR_SIZE + 13.0
		if label_y > size.y - 2.0:
			label_y = top_left.y - 4.0
		draw_string(font, Vector2(label_x, label_y), label, HORIZONTAL_ALIGNMENT_LEFT, -1, 12, color)

	var border := Color(0.45, 0.7, 1.0) if has_focus() else Color(1, 1, 1, 0.15)
	draw_rect(Rect2(Vector2.ONE, size - Vector2(2, 2)), border, false, 2.0)
	if not has_focus():
		var hint := "click here, then move with the arrow keys or WASD"
		draw_string(font, Vector2(8, size.y - 8), hint, HORIZONTAL_ALIGNMENT_LEFT, -1, 12, Color(1, 1, 1, 0.45))
