## The node the multiplayer benchmark calls RPCs on, at /root/Bench in both processes.
extends Node

## `sink` RPCs received, and when the first and the last came (ticks µs).
var sunk := 0
var first_sunk_usec := 0
var last_sunk_usec := 0
## The last `pong` received: its sequence number and when (ticks µs).
var pong_sequence := -1
var pong_usec := 0
## Coordination words received, in order.
var words: Array[String] = []


@rpc("any_peer", "call_remote", "reliable", 1)
func sink(_sequence: int, _payload: PackedByteArray) -> void:
	var now := Time.get_ticks_usec()
	if sunk == 0:
		first_sunk_usec = now
	last_sunk_usec = now
	sunk += 1


## Answered at once, from within the RPC: the echo leaves in the frame the ping arrives.
@rpc("any_peer", "call_remote", "reliable", 2)
func ping(sequence: int, payload: PackedByteArray) -> void:
	pong.rpc_id(multiplayer.get_remote_sender_id(), sequence, payload)


@rpc("any_peer", "call_remote", "reliable", 2)
func pong(sequence: int, _payload: PackedByteArray) -> void:
	pong_sequence = sequence
	pong_usec = Time.get_ticks_usec()


@rpc("any_peer", "call_remote", "reliable", 3)
func say(word: String) -> void:
	words.append(word)


func heard(word: String) -> bool:
	return words.has(word)
