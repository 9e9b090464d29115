"""ivschat: a typed, fast Amazon IVS Chat client (sync and asyncio) on a Rust core.

    import ivschat
    client = ivschat.Client(region="us-east-1")      # the AWS default credentials chain
    room = client.create_room(name="demo", maximum_message_length=500)
    room.arn, room.create_time                       # aware UTC datetime
    room.to_dict()                                   # what boto3 returns, minus ResponseMetadata

Logging: the core's spans reach ``logging.getLogger("ivschat")`` (INFO: one record per call;
DEBUG: attempts and retries). Call ``ivschat.refresh_logging()`` after changing that logger's
level once clients exist.
"""
from __future__ import annotations

from . import _native
from ._client import AsyncClient, Client
from ._credentials import Credentials
from ._errors import (
    ConfigurationError,
    CredentialsError,
    IvschatError,
    ParamValidationError,
    RequestTimeoutError,
    ResponseParseError,
    ServiceError,
    TransportError,
)
from ._model import *  # noqa: F401,F403  (result/input classes and the modeled exceptions)
from ._model import MODELED_ERRORS, __all__ as _model_all

TYPE_CHECKING = False  # `typing` is not imported at run time (start-up time)
if TYPE_CHECKING:
    from ._credentials import CredentialsProvider as CredentialsProvider

__version__: str = _native.VERSION


def refresh_logging() -> None:
    """Re-reads the effective level of the ``ivschat`` logger (cached for speed)."""
    _native.refresh_logging()


__all__ = [
    "AsyncClient",
    "Client",
    "Credentials",
    "CredentialsProvider",
    "IvschatError",
    "ServiceError",
    "TransportError",
    "RequestTimeoutError",
    "CredentialsError",
    "ResponseParseError",
    "ConfigurationError",
    "ParamValidationError",
    "MODELED_ERRORS",
    "refresh_logging",
    *_model_all,
]

for _name in _model_all:
    globals()[_name].__module__ = __name__
for _cls in (IvschatError, ServiceError, TransportError, RequestTimeoutError, CredentialsError,
             ResponseParseError, ConfigurationError, ParamValidationError, Client, AsyncClient, Credentials):
    _cls.__module__ = __name__
del _name, _cls

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        # `ivschat.CredentialsProvider` (a typing alias) is built on first access.
        if name == "CredentialsProvider":
            from ._credentials import _aliases

            value = _aliases()[name]
            globals()[name] = value
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
