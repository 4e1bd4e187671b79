"""The forum core: configuration, storage, domain services, permissions, markup and CLI.

The core never imports from `web`, `realtime` or `search`; they import from it.
"""
