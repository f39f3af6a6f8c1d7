"""The edge's routes: each app registers the paths it answers on the edge, by the dotted path of
a route class, in its AppConfig.ready. A route is built (and its module imported) only in the
edge process, so the web and worker processes pay nothing for it.

A route class is instantiated with no arguments and has:
- `handle(request)`: a `Response`, or an awaitable of one (answers go out in request order);
- `max_body`: the largest body it takes, in bytes (more is a 413 before the body is read);
- optionally `async start()` (before the port opens) and `async stop()`.
"""

from django.utils.module_loading import import_string

_registered = {}


def register(path, route):
    """Serve `path` (exact, no trailing-slash variants) on the edge with the class at `route`."""
    if _registered.get(path, route) != route:
        raise ValueError(f"{path} is already registered to {_registered[path]}")
    _registered[path] = route


def registered():
    """{path: dotted path of the route class}."""
    return dict(_registered)


def build(paths=None):
    """{path: route instance} for the registered paths (or those of them named in `paths`)."""
    return {path: import_string(dotted)() for path, dotted in _registered.items() if paths is None or path in paths}
