"""The ASGI `lifespan` scope, as Starlette's router answers it.

`lifespan.startup` enters the app's lifespan (`lifespan=` context manager, or the on_startup
handlers: `APIRouter.startup`, the same code each native worker runs); a mapping it yields becomes
the app's lifespan state (copied into every `request.state`) and is also put into the scope's
`state` for the server (RuntimeError when a server without lifespan state gets one, as Starlette
raises). `lifespan.shutdown` leaves it. A failure is reported with `lifespan.startup.failed` /
`lifespan.shutdown.failed` and the traceback as message, then raised, as Starlette does.
"""

from __future__ import annotations

import traceback
from typing import Any


async def lifespan(app: Any, scope: dict[str, Any], receive: Any, send: Any) -> None:
    router = app.router
    started = False
    await receive()  # lifespan.startup
    try:
        await router.startup()
        state = getattr(router, "lifespan_state", None)
        if state is not None:
            if "state" not in scope:
                raise RuntimeError('The server does not support "state" in the lifespan scope.')
            scope["state"].update(state)
        await send({"type": "lifespan.startup.complete"})
        started = True
        await receive()  # lifespan.shutdown
        await router.shutdown()
    except BaseException:
        text = traceback.format_exc()
        await send({"type": "lifespan.shutdown.failed" if started else "lifespan.startup.failed", "message": text})
        raise
    await send({"type": "lifespan.shutdown.complete"})
