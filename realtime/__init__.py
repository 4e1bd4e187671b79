"""Realtime fan-out of the event log to websocket subscribers.

Owns: the one LISTEN connection per worker process, the hub that maps channels to local
subscribers, and the websocket protocol described in DESIGN.md. The core writes every
event and its NOTIFY (`forum.events`) and says what each reader may receive
(`forum.feed`, `forum.permissions`).
"""
