"""The browser demo, ``siamfc serve``: track a clip from a local web page (needs ``pip install 'siamfc[app]'``).

A small Starlette application with plain HTML/JS served from this package: no CDN, no account,
nothing fetched from outside, so it works offline.

* :mod:`.formats`: what an upload may be, recognised by its first bytes (self-contained videos and
  still images only: nothing that makes the decoder open other files or URLs);
* :mod:`.clips`: uploads streamed to disk under limits (size, frame size, frame count, uploads at
  once), probed off the event loop; the bundled clip;
* :mod:`.jobs`: one tracking job at a time, in a thread, streaming its progress; cancelled when
  the page that started it goes away;
* :mod:`.guard`: which requests are served at all (the Host names the server is bound to; state
  changes only from its own page);
* :mod:`.server`: the routes, and the stream that ties a job to its browser connection;
* ``static/``: the page.
"""

from __future__ import annotations

from siamfc.errors import SiamFCError

#: Default upload limit, in MB (``siamfc serve --max-upload-mb``).
MAX_UPLOAD_MB = 200
#: Default limit on the pixels of a frame, W x H (``--max-pixels``): a 4K UHD frame.
MAX_PIXELS = 3840 * 2160
#: Default limit on the frames of a clip (``--max-frames``): ten minutes at 30 fps.
MAX_FRAMES = 18000
#: Default limit on the uploads received at once (``--max-uploads``); more are told to retry.
MAX_UPLOADS = 4


def require_app_extra() -> None:
    """SiamFCError naming the install command if the ``app`` extra's packages are missing."""
    import importlib.util

    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise SiamFCError(
            f"siamfc serve needs the app extra ({', '.join(missing)} not installed): pip install 'siamfc[app]'"
        )
