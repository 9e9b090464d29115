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
from ._credentials import Credentials, CredentialsProvider
from ._errors import (ConfigurationError, CredentialsError, IvschatError, ParamValidationError, RequestTimeoutError,
                      ResponseParseError, ServiceError, TransportError)
from ._model import *  # noqa: F401,F403  (result/input classes and the modeled exceptions)
from ._model import MODELED_ERRORS, __all__ as _model_all
from ._native import refresh_logging  # re-reads the `ivschat` logger's level (cached for speed)

__version__: str = _native.VERSION
_OWN = (AsyncClient, Client, Credentials, IvschatError, ServiceError, TransportError, RequestTimeoutError,
        CredentialsError, ResponseParseError, ConfigurationError, ParamValidationError)
__all__ = ["AsyncClient", "Client", "Credentials", "CredentialsProvider", "IvschatError", "ServiceError",
           "TransportError", "RequestTimeoutError", "CredentialsError", "ResponseParseError", "ConfigurationError",
           "ParamValidationError", "MODELED_ERRORS", "refresh_logging", *_model_all]
for _cls in _OWN + tuple(globals()[n] for n in _model_all):
    _cls.__module__ = __name__
del _cls


def __getattr__(name: str) -> object:
    """``ivschat.testing`` and ``ivschat.messaging`` without importing them (start-up time)."""
    if name in ("testing", "messaging"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
