## The node the backlog suite calls RPCs on, at /root/Bulk in every process: it records the sequence
## numbers of a reliable burst in arrival order, and whether a client's last words came before its departure.
extends Node

## Sequence numbers received by `take`, in arrival order.
var sequences: Array[int] = []
## Bytes of payload received by `take` that were not the expected pattern.
var corrupted := 0
var last_words_from: Array[int] = []
var words: Array[String] = []


@rpc("any_peer", "call_remote", "reliable", 2)
func take(sequence: int, payload: PackedByteArray) -> void:
	sequences.append(sequence)
	if payload != pattern(sequence):
		corrupted += 1


@rpc("any_peer", "call_remote", "reliable", 4)
func last_words() -> void:
	last_words_from.append(multiplayer.get_remote_sender_id())


@rpc("any_peer", "call_remote", "reliable", 5)
func say(word: String) -> void:
	words.append(word)


## The 100 B payload sent with sequence number `sequence`.
static func pattern(sequence: int) -> PackedByteArray:
	var bytes := PackedByteArray()
	bytes.resize(100)
	for i in 100:
		bytes[i] = (sequence + i) & 0xff
	return bytes
