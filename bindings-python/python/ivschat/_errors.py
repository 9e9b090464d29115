"""Exception classes (hand-written base; the modeled ones are generated in ``_model``)."""
from __future__ import annotations

import builtins

TYPE_CHECKING = False  # `typing` only for mypy (start-up time)
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Tuple


class IvschatError(Exception):
    """Base of every ivschat error.

    ``code`` (the AWS error code, or ``ConnectionError``, ``Timeout``, ``CredentialsError``,
    ``ResponseParseError``, ``ConstructionError``, ``InvalidInput``), ``message``,
    ``request_id`` and ``status_code`` (``None`` when no response arrived); ``fields`` holds the
    modeled members with their wire names, the modeled ones also as snake_case attributes.
    """

    _FIELDS: Tuple[Tuple[str, str], ...] = ()

    def __init__(self, message: str = "", *, code: Optional[str] = None, request_id: Optional[str] = None,
                 status_code: Optional[int] = None, fields: Optional[Dict[str, Any]] = None,
                 member: Optional[str] = None) -> None:
        super().__init__(message)
        self.message, self.request_id, self.status_code = message, request_id, status_code
        self.code = code if code is not None else type(self).__name__
        self.fields: Dict[str, Any] = dict(fields or {})
        self.member = member
        for attr, wire in self._FIELDS:
            setattr(self, attr, self.fields.get(wire))

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, request_id={self.request_id!r})"

    def __reduce__(self) -> Any:
        return (
            _rebuild,
            (type(self), self.message, self.code, self.request_id, self.status_code, self.fields, self.member),
        )


def _rebuild(cls: Any, message: str, code: Any, request_id: Any, status_code: Any, fields: Any, member: Any) -> Any:
    return cls(message, code=code, request_id=request_id, status_code=status_code, fields=fields, member=member)


def _from_json(e: Dict[str, Any]) -> IvschatError:
    """The exception for the core's ``Error::to_json()``: ``kind`` picks the class."""
    cls: Any = _KINDS.get(e["kind"], IvschatError)
    if e["kind"] == "service":
        from ._model import MODELED_ERRORS

        cls = MODELED_ERRORS.get(e["code"], ServiceError)
    made: IvschatError = cls(e["message"], code=e["code"], request_id=e["requestId"],
                             status_code=e["status"], fields=e["fields"], member=e["member"])
    return made


class ServiceError(IvschatError):
    """An error response from the service. Unknown codes raise this class itself."""


class TransportError(IvschatError, builtins.ConnectionError):
    """The request could not be sent or no response arrived (code ``ConnectionError``)."""


class RequestTimeoutError(IvschatError, builtins.TimeoutError):
    """A connect, read or operation timeout elapsed (code ``Timeout``)."""


class CredentialsError(IvschatError):
    """No credentials could be obtained (code ``CredentialsError``)."""


class ResponseParseError(IvschatError):
    """A response could not be parsed (code ``ResponseParseError``)."""


class ConfigurationError(IvschatError, ValueError):
    """The client configuration is invalid: missing region, bad endpoint... (``ConstructionError``)."""


class ParamValidationError(IvschatError, ValueError):
    """An input value the core rejects before sending (code ``InvalidInput``); ``member`` names it."""


_KINDS = {"unhandled": ServiceError, "transport": TransportError, "timeout": RequestTimeoutError,
          "credentials": CredentialsError, "response": ResponseParseError,
          "construction": ConfigurationError, "input": ParamValidationError}
