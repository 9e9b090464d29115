"""Type stubs of the Rust extension ``ivschat._native`` (internal: use ``ivschat.Client``)."""
from typing import Any, Awaitable, Callable, Optional, Tuple

HAS_LOCAL: bool
VERSION: str

def refresh_logging() -> None: ...

class NativeClient:
    def __init__(
        self,
        *,
        region: Optional[str] = ...,
        endpoint_url: Optional[str] = ...,
        aws_access_key_id: Optional[str] = ...,
        aws_secret_access_key: Optional[str] = ...,
        aws_session_token: Optional[str] = ...,
        profile_name: Optional[str] = ...,
        use_fips_endpoint: Optional[bool] = ...,
        use_dualstack_endpoint: Optional[bool] = ...,
        max_attempts: Optional[int] = ...,
        connect_timeout: Optional[float] = ...,
        read_timeout: Optional[float] = ...,
        credentials_provider: Optional[Callable[[], Tuple[str, str, Optional[str], Optional[float]]]] = ...,
        user_agent_suffix: Optional[str] = ...,
        initial_backoff_ms: Optional[int] = ...,
        no_read_timeout: bool = ...,
    ) -> None: ...
    @property
    def region(self) -> str: ...
    @property
    def endpoint_url(self) -> str: ...
    def call(self, op: str, params: dict[str, Any]) -> dict[str, Any]: ...
    def call_async(self, op: str, params: dict[str, Any]) -> Awaitable[dict[str, Any]]: ...
    def paginate(self, op: str, params: dict[str, Any]) -> NativePages: ...

class NativePages:
    def next_page(self) -> Optional[dict[str, Any]]: ...
    def next_page_async(self) -> Awaitable[Optional[dict[str, Any]]]: ...

class NativeLocalServer:
    def __init__(self, *, host: str = ..., port: int = ..., region: str = ...) -> None: ...
    @property
    def endpoint_url(self) -> str: ...
    @property
    def ws_url(self) -> str: ...
    def stop(self) -> None: ...
