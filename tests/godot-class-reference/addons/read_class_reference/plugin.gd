@tool
extends EditorPlugin
## Opens the help page of SteamNetworkingMessages as F1 does and prints its text between two markers, then
## quits. It waits for the page to describe every member, within bounds: the editor builds its documentation
## in a thread, and on its very first start it never adds an extension's (the harness then starts it again).

const CLASS := "SteamNetworkingMessages"
const NO_DESCRIPTION := "There is currently no description"
## Longest wait for the page to appear at all.
const PAGE_DEADLINE_MS := 240000
## Longest wait, once the page is there, for every member's description.
const DESCRIPTIONS_DEADLINE_MS := 60000


func _ready() -> void:
	_read_when_ready.call_deferred()


func _read_when_ready() -> void:
	var deadline := Time.get_ticks_msec() + PAGE_DEADLINE_MS
	var page_seen := false
	var text := ""
	while Time.get_ticks_msec() < deadline:
		await get_tree().create_timer(0.5).timeout
		EditorInterface.get_script_editor().goto_help("class_name:" + CLASS)
		await get_tree().process_frame
		text = _help_text()
		if not (text.contains(CLASS) and text.contains("sendMessageToUser")):
			continue
		if not text.contains(NO_DESCRIPTION):
			break
		if not page_seen:
			page_seen = true
			deadline = mini(deadline, Time.get_ticks_msec() + DESCRIPTIONS_DEADLINE_MS)
	print("CLASS REFERENCE BEGIN")
	print(text)
	print("CLASS REFERENCE END")
	get_tree().quit()


func _help_text() -> String:
	var parts := PackedStringArray()
	for page in EditorInterface.get_script_editor().find_children("*", "EditorHelp", true, false):
		for label in page.find_children("*", "RichTextLabel", true, false):
			parts.append((label as RichTextLabel).get_parsed_text())
	return "\n".join(parts)
