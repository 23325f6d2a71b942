"""The browser demo, ``siamfc serve``: track a clip from a local web page (needs ``pip install 'siamfc[app]'``).

A small Starlette application with plain HTML/JS served from this package: no CDN, no account,
nothing fetched from outside, so it works offline.

* :mod:`.clips`: uploads streamed to disk under a size limit, checked to be videos; the bundled clip;
* :mod:`.jobs`: one tracking job at a time, in a thread, streaming its progress; cancelled when
  the page that started it goes away;
* :mod:`.server`: the routes, and the stream that ties a job to its browser connection;
* ``static/``: the page.
"""

from __future__ import annotations

from siamfc.errors import SiamFCError

#: Default upload limit, in MB (``siamfc serve --max-upload-mb``).
MAX_UPLOAD_MB = 200


def require_app_extra() -> None:
    """SiamFCError naming the install command if the ``app`` extra's packages are missing."""
    import importlib.util

    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise SiamFCError(
            f"siamfc serve needs the app extra ({', '.join(missing)} not installed): pip install 'siamfc[app]'"
        )
