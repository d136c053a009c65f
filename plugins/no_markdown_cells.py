"""Datasette plugin: drop datasette-render-markdown's per-cell hook, keep its template helpers.

datasette-render-markdown comes with datasette-dashboards (which uses its
``render_markdown`` template function for markdown cards).  Its ``render_cell`` hook
runs for every cell of every HTML table page and looks up plugin configuration each
time: on the 18-column ``reports`` page that is ~1,800 calls and about 100 ms of a
~170 ms page (measured with cProfile).  The archive has no markdown columns (the hook
would only convert ``*_markdown`` columns), so the hook is unregistered and the two
template hooks are registered again on their own.
"""
from __future__ import annotations

import types

from datasette.plugins import pm

try:
    import datasette_render_markdown as _md
except ImportError:  # pragma: no cover - the plugin is not installed: nothing to drop
    _md = None

if _md is not None and pm.is_registered(_md):
    pm.unregister(_md)
    _helpers = types.ModuleType("datasette_render_markdown_helpers")
    _helpers.extra_template_vars = _md.extra_template_vars
    _helpers.prepare_jinja2_environment = _md.prepare_jinja2_environment
    pm.register(_helpers, name="datasette-render-markdown-helpers")
