"""The asyncio future of an ``AsyncClient`` call (imported by the extension on the first one).

The Rust task resolves it from the event loop's thread (see src/aio.rs); ``cancel()`` — by
``Task.cancel()``, ``asyncio.wait_for``, ``asyncio.timeout``... — also aborts the task, which
drops the request.
"""
from __future__ import annotations

import asyncio

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional


class Future(asyncio.Future):  # type: ignore[type-arg]
    __slots__ = ("_ivschat_abort",)

    _ivschat_abort: "Callable[[], None]"

    def cancel(self, msg: "Optional[Any]" = None) -> bool:
        try:
            abort = self._ivschat_abort
        except AttributeError:
            pass
        else:
            abort()
        return super().cancel(msg)
