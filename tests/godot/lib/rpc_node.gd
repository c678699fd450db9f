## The node the multiplayer suites call RPCs on, at /root/Rpc in every process: it records, per kind and
## sender, the sequence numbers it received, and the suite's coordination messages.
extends Node

## "kind/sender peer ID" -> sequence numbers in arrival order.
var received := {}
## Coordination messages received: "word/sender peer ID".
var words: Array[String] = []


@rpc("any_peer", "call_remote", "reliable", 0)
func reliable_on_0(sequence: int) -> void:
	_record("reliable0", sequence)


@rpc("any_peer", "call_remote", "reliable", 3)
func reliable_on_3(sequence: int) -> void:
	_record("reliable3", sequence)


@rpc("any_peer", "call_remote", "unreliable_ordered", 1)
func ordered_on_1(sequence: int) -> void:
	_record("ordered1", sequence)


@rpc("any_peer", "call_remote", "unreliable", 2)
func unreliable_on_2(sequence: int, _padding: PackedByteArray) -> void:
	_record("unreliable2", sequence)


@rpc("any_peer", "call_remote", "reliable", 5)
func say(word: String) -> void:
	words.append("%s/%d" % [word, multiplayer.get_remote_sender_id()])


func heard(word: String, from: int) -> bool:
	return words.has("%s/%d" % [word, from])


func sequences(kind: String, from: int) -> Array:
	return received.get("%s/%d" % [kind, from], [])


func _record(kind: String, sequence: int) -> void:
	var key := "%s/%d" % [kind, multiplayer.get_remote_sender_id()]
	if not received.has(key):
		received[key] = []
	received[key].append(sequence)
