"""The forum core: configuration, storage, domain actions, permissions, markup.

The core never imports from `web`, `realtime` or `search`; they import from it (checked by
import-linter, `[tool.importlinter]` in pyproject.toml).
"""
