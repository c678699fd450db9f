## A node the spawner suites spawn: a Node2D whose `position` and `score` a MultiplayerSynchronizer
## replicates. Every value `score` takes is kept, so a suite can tell that updates never went backwards.
extends Node2D

## Every value set, in order (locally or by the synchronizer).
var score_history: Array[int] = []
var score := 0:
	set(value):
		score = value
		score_history.append(value)
