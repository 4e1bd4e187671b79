"""Realtime fan-out of the event log to websocket subscribers.

Owns: the one LISTEN connection per worker process, the hub that maps channels to local
subscribers, and the websocket protocol described in DESIGN.md. The core already writes
every event and its NOTIFY (`forum.events`); the fan-out itself is issue #3.
"""
