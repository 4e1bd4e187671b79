"""Realtime fan-out of the event log to websocket clients, and the protocol they speak.

Owns: the one LISTEN connection per worker process (`listener`), the hub that maps
channels to local subscribers (`hub`), the protocol's messages and close codes
(`protocol`), one client's session over any transport (`connection`), resume from the
table (`backlog`), sockets following their login (`sweep`), reader counts (`presence`),
and the service the app's lifespan runs (`service`). The core writes every event and its
NOTIFY (`forum.events`) and says what each reader may receive (`forum.feed`,
`forum.permissions`); the web layer only does the handshake (`web/ws.py`).
"""
