"""The web layer: JSON API, HTML pages, static assets. It parses, calls the core, serialises."""
