"""Outgoing email: the outbox a change writes to in its own transaction (`outbox`), the
single-use tokens its links carry (`tokens`), the message as it goes on the wire
(`message`) and the background sender that drains the outbox (`sender`).

Rendering is not here: the templates and translations are the web layer's, so the
outbox holds a message's kind, language and parameters, and the app gives the sender a
`message.Render` that turns them into a subject and bodies at send time."""
