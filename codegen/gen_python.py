#!/usr/bin/env python3
"""Generates bindings-python/python/ivschat/_model.py from codegen/model/service-2.json (and the
client options of core/src/options.rs), and the chat event classes of ivschat.messaging
(_messaging_model.py, src/messaging_model.rs) from the core's structs in core/src/messaging/.

What it writes: one frozen class per structure the API exposes (inputs' nested shapes and
outputs, snake_case attributes, ``to_dict()`` with wire names exactly as boto3 parses them),
the modeled exception classes, the per-operation input builders (keyword-only arguments,
runtime type checks raising ``TypeError`` that names the parameter) and the method mixins of
``Client`` and ``AsyncClient``.

    python3 codegen/gen_python.py           # rewrite
    python3 codegen/gen_python.py --check   # exit 1 when the committed file is stale
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "codegen" / "model" / "service-2.json"
OPTIONS = ROOT / "core" / "src" / "options.rs"
MESSAGING = ROOT / "core" / "src" / "messaging"
OUT_EVENTS = ROOT / "bindings-python" / "python" / "ivschat" / "_messaging_model.py"
OUT_EVENTS_RS = ROOT / "bindings-python" / "src" / "messaging_model.rs"
# The core's messaging structs → (Python class, event `type`, field renames).
EVENT_STRUCTS = {
    "ChatUser": ("ChatUser", None, {}),
    "ChatMessage": ("Message", "message", {}),
    "ChatEvent": ("Event", "event", {}),
    "DeleteMessageEvent": ("MessageDelete", "message_delete", {}),
    "DisconnectUserEvent": ("UserDisconnect", "user_disconnect", {}),
    "ChatError": ("ErrorEvent", "error", {"code": "error_code", "message": "error_message"}),
    "UnknownFrame": ("UnknownFrame", "unknown", {}),
}
OUT = ROOT / "bindings-python" / "python" / "ivschat" / "_model.py"

PAGINATED = {"ListRooms": "rooms", "ListLoggingConfigurations": "loggingConfigurations"}


def snake(name: str) -> str:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


class Gen:
    def __init__(self, model: dict) -> None:
        self.m = model
        self.shapes: dict = model["shapes"]
        self.errors = [n for n, s in self.shapes.items() if s.get("exception")]
        self.out: list[str] = []
        self.classes: list[str] = []  # structure names that get a class, in order
        self.option_docs: list[str] = []

    # ---- types ---------------------------------------------------------------------------
    def kind(self, shape_name: str) -> str:
        return self.shapes[shape_name]["type"]

    def py_type(self, shape_name: str) -> str:
        s = self.shapes[shape_name]
        t = s["type"]
        if t == "string":
            return "str"
        if t == "integer":
            return "int"
        if t == "boolean":
            return "bool"
        if t == "timestamp":
            return "datetime.datetime"
        if t == "list":
            return f"List[{self.py_type(s['member']['shape'])}]"
        if t == "map":
            return f"Dict[{self.py_type(s['key']['shape'])}, {self.py_type(s['value']['shape'])}]"
        if t == "structure":
            return shape_name
        raise ValueError(t)

    def in_type(self, shape_name: str) -> str:
        """The accepted input annotation: structures also take a dict with snake_case keys."""
        s = self.shapes[shape_name]
        t = s["type"]
        if t == "structure":
            return f"Union[{shape_name}, Mapping[str, Any]]"
        if t == "list":
            return f"Sequence[{self.in_type(s['member']['shape'])}]"
        if t == "map":
            return f"Mapping[{self.in_type(s['key']['shape'])}, {self.in_type(s['value']['shape'])}]"
        if t == "string" and "enum" in s:  # mypy rejects a value the service does not know
            return f"Literal[{', '.join(repr(v) for v in s['enum'])}]"
        return self.py_type(shape_name)

    def collect(self) -> None:
        seen: list[str] = []

        def visit(name: str) -> None:
            s = self.shapes[name]
            if s["type"] == "structure":
                for m in s["members"].values():
                    visit(m["shape"])
                if name not in seen and not s.get("exception"):
                    seen.append(name)
            elif s["type"] == "list":
                visit(s["member"]["shape"])
            elif s["type"] == "map":
                visit(s["value"]["shape"])

        for op in self.m["operations"].values():
            if "input" in op:
                for m in self.shapes[op["input"]["shape"]]["members"].values():
                    visit(m["shape"])
            if "output" in op:
                visit(op["output"]["shape"])
        self.classes = seen

    # ---- emit ----------------------------------------------------------------------------
    def w(self, line: str = "") -> None:
        self.out.append(line)

    def from_wire_expr(self, shape_name: str, expr: str) -> str:
        s = self.shapes[shape_name]
        t = s["type"]
        if t == "structure":
            return f"{shape_name}._from_wire({expr})"
        if t == "list" and self.kind(s["member"]["shape"]) == "structure":
            return f"tuple({s['member']['shape']}._from_wire(x) for x in {expr})"
        if t == "list":
            return f"tuple({expr})"
        if t == "map":
            return f"dict({expr})"
        return expr

    def to_wire_expr(self, shape_name: str, expr: str) -> str:
        s = self.shapes[shape_name]
        t = s["type"]
        if t == "structure":
            return f"{expr}.to_dict()"
        if t == "list" and self.kind(s["member"]["shape"]) == "structure":
            return f"[x.to_dict() for x in {expr}]"
        if t == "list":
            return f"list({expr})"
        if t == "map":
            return f"dict({expr})"
        return expr

    def attr_type(self, shape_name: str) -> str:
        """Attribute annotation: lists are tuples (immutable)."""
        s = self.shapes[shape_name]
        if s["type"] == "list":
            return f"Tuple[{self.py_type(s['member']['shape'])}, ...]"
        return self.py_type(shape_name)

    def check_lines(self, shape_name: str, var: str, label: str, indent: str, wire_target: str) -> None:
        """Type-check `var` (known not None) and store its wire form into `wire_target`."""
        s = self.shapes[shape_name]
        t = s["type"]
        w = self.w
        if t == "string":
            w(f"{indent}if not isinstance({var}, str):")
            w(f"{indent}    _bad({label!r}, 'str', {var})")
            w(f"{indent}{wire_target} = {var}")
        elif t == "integer":
            w(f"{indent}if not isinstance({var}, int) or isinstance({var}, bool):")
            w(f"{indent}    _bad({label!r}, 'int', {var})")
            w(f"{indent}{wire_target} = {var}")
        elif t == "boolean":
            w(f"{indent}if not isinstance({var}, bool):")
            w(f"{indent}    _bad({label!r}, 'bool', {var})")
            w(f"{indent}{wire_target} = {var}")
        elif t == "list":
            member = s["member"]["shape"]
            if self.kind(member) == "structure":
                w(f"{indent}{wire_target} = _struct_list({var}, {label!r}, {member})")
            else:
                w(f"{indent}{wire_target} = _str_list({var}, {label!r})")
        elif t == "map":
            w(f"{indent}{wire_target} = _str_map({var}, {label!r})")
        elif t == "structure":
            w(f"{indent}{wire_target} = _struct({var}, {label!r}, {shape_name}).to_dict()")
        else:
            raise ValueError(t)

    def emit_class(self, name: str) -> None:
        s = self.shapes[name]
        members = s["members"]
        required = set(s.get("required", []))
        union = bool(s.get("union"))
        w = self.w
        fields = [(snake(k), k, v["shape"]) for k, v in members.items()]
        sensitive = [
            snake(k) for k, v in members.items() if self.shapes[v["shape"]].get("sensitive")
        ]
        doc = s.get("documentation", "")
        doc = re.sub(r"<[^>]+>", "", doc).strip().split(". ")[0].replace('"""', "'")
        w()
        w()
        w(f"class {name}(_Shape):")
        w(f'    """{doc or name}."""' if doc and not doc.endswith(".") else f'    """{doc or name}"""')
        w()
        slots = [f for f, _, _ in fields] + (["unknown_member"] if union else [])
        w(f"    __slots__ = ({', '.join(repr(x) for x in slots)}{',' if len(slots) == 1 else ''})")
        w(f"    _FIELDS = ({', '.join(repr(x) for x in slots)}{',' if len(slots) == 1 else ''})")
        if sensitive:
            w(f"    _SENSITIVE = frozenset({{{', '.join(repr(x) for x in sensitive)}}})")
        w()
        for f, _, shape in fields:
            w(f"    {f}: Optional[{self.attr_type(shape)}]" if f not in required else f"    {f}: {self.attr_type(shape)}")
        if union:
            w("    unknown_member: Optional[str]")
        # __init__: keyword-only, type-checked, used for inputs (dicts are accepted too).
        params = []
        for f, wire, shape in fields:
            if wire in required:
                params.append(f"{f}: {self.in_type(shape)}")
            else:
                params.append(f"{f}: Optional[{self.in_type(shape)}] = None")
        if union:
            params.append("unknown_member: Optional[str] = None")
        w()
        w(f"    def __init__(self, *, {', '.join(params)}) -> None:" if params else "    def __init__(self) -> None:")
        if not params:
            w("        pass")
        elif fields:
            w("        _v: Any")
        for f, wire, shape in fields:
            label = f"{name}.{f}"
            ind = "        "
            if wire in required:
                w(f"{ind}if {f} is None:")
                w(f"{ind}    raise TypeError({(label + ' is required')!r})")
            else:
                w(f"{ind}if {f} is not None:")
                ind += "    "
            t = self.kind(shape)
            if t in ("string", "integer", "boolean"):
                self.check_lines(shape, f, label, ind, "_v")
            elif t == "timestamp":
                w(f"{ind}if not isinstance({f}, _datetime()):")
                w(f"{ind}    _bad({label!r}, 'datetime', {f})")
                w(f"{ind}_v = {f}")
            elif t == "structure":
                w(f"{ind}_v = _struct({f}, {label!r}, {shape})")
            elif t == "list":
                member = self.shapes[shape]["member"]["shape"]
                if self.kind(member) == "structure":
                    w(f"{ind}_v = tuple(_struct(x, {label!r}, {member}) for x in _seq({f}, {label!r}))")
                else:
                    w(f"{ind}_v = tuple(_str_list({f}, {label!r}))")
            elif t == "map":
                w(f"{ind}_v = _str_map({f}, {label!r})")
            w(f"{ind}_set(self, {f!r}, _v)")
            if wire not in required:
                w(f"        else:")
                w(f"            _set(self, {f!r}, None)")
        if union:
            w("        _set(self, 'unknown_member', unknown_member)")
        # _from_wire: trusted wire dict → instance, no checks.
        w()
        w("    @classmethod")
        w(f"    def _from_wire(cls, d: Dict[str, Any]) -> {name!r}:")
        w("        self = object.__new__(cls)")
        for f, wire, shape in fields:
            t = self.kind(shape)
            if t in ("string", "integer", "boolean"):
                w(f"        _set(self, {f!r}, d.get({wire!r}))")
            elif t == "timestamp":
                w(f"        _set(self, {f!r}, _ts(d.get({wire!r})))")
            else:
                w(f"        v = d.get({wire!r})")
                w(f"        _set(self, {f!r}, None if v is None else {self.from_wire_expr(shape, 'v')})")
        if union:
            w("        u = d.get('SDK_UNKNOWN_MEMBER')")
            w("        _set(self, 'unknown_member', None if u is None else u.get('name'))")
        w("        return self")
        # to_dict
        w()
        w("    def to_dict(self) -> Dict[str, Any]:")
        w('        """Wire member names and values, exactly as boto3 returns them."""')
        w("        d: Dict[str, Any] = {}")
        for f, wire, shape in fields:
            w(f"        if self.{f} is not None:")
            w(f"            d[{wire!r}] = {self.to_wire_expr(shape, 'self.' + f)}")
        if union:
            w("        if self.unknown_member is not None:")
            w("            d['SDK_UNKNOWN_MEMBER'] = {'name': self.unknown_member}")
        w("        return d")

    def emit_error(self, name: str) -> None:
        s = self.shapes[name]
        fields = [(snake(k), k, v["shape"]) for k, v in s["members"].items() if k != "message"]
        w = self.w
        status = s.get("error", {}).get("httpStatusCode")
        w()
        w()
        w(f"class {name}(ServiceError):")
        w(f'    """The service\'s ``{name}`` (HTTP {status})."""')
        w()
        w(f"    _FIELDS = ({', '.join(repr((f, k)) for f, k, _ in fields)}{',' if len(fields) == 1 else ''})")
        for f, _, shape in fields:
            t = self.shapes[shape]["type"]
            if t == "list":
                w(f"    {f}: Optional[List[Dict[str, Any]]]")
            else:
                w(f"    {f}: Optional[{self.py_type(shape)}]")

    def op_params(self, op: dict) -> tuple[list[tuple[str, str, str, bool]], str]:
        if "input" not in op:
            return [], ""
        ishape = self.shapes[op["input"]["shape"]]
        req = set(ishape.get("required", []))
        params = [(snake(k), k, v["shape"], k in req) for k, v in ishape["members"].items()]
        # required first (no default), then optional
        params.sort(key=lambda p: not p[3])
        return params, op["input"]["shape"]

    def signature(self, params: list[tuple[str, str, str, bool]]) -> str:
        parts = []
        for f, _, shape, req in params:
            if req:
                parts.append(f"{f}: {self.in_type(shape)}")
            else:
                parts.append(f"{f}: Optional[{self.in_type(shape)}] = None")
        # Any other keyword: a type error for mypy, ParamValidationError naming the valid ones.
        return ("*, " + ", ".join(parts) + ", " if parts else "") + "**unknown: NoReturn"

    def emit_input_builder(self, opname: str, op: dict) -> None:
        params, _ = self.op_params(op)
        w = self.w
        method = snake(opname)
        w()
        w()
        args = ", ".join(f"{f}: Any" for f, _, _, _ in params)
        w(f"def _in_{method}({args}) -> Dict[str, Any]:" if params else f"def _in_{method}() -> Dict[str, Any]:")
        w("    p: Dict[str, Any] = {}")
        for f, wire, shape, req in params:
            if req:
                w(f"    if {f} is None:")
                w(f"        raise TypeError({(method + '() missing required keyword argument: ' + repr(f))!r})")
                self.check_lines(shape, f, f, "    ", f"p[{wire!r}]")
            else:
                w(f"    if {f} is not None:")
                self.check_lines(shape, f, f, "        ", f"p[{wire!r}]")
        w("    return p")

    def output_class(self, op: dict, opname: str) -> str:
        return op["output"]["shape"] if "output" in op else f"{opname}Response"

    def emit_methods(self, asyncio: bool) -> None:
        w = self.w
        cls = "_AsyncOperations" if asyncio else "_SyncOperations"
        w()
        w()
        w(f"class {cls}:")
        w(f'    """The {17} operations ({"async" if asyncio else "sync"}); generated."""')
        w()
        w("    _native: Any")
        for opname, op in self.m["operations"].items():
            params, _ = self.op_params(op)
            method = snake(opname)
            out = self.output_class(op, opname)
            sig = self.signature(params)
            call_args = ", ".join(f"{f}" for f, _, _, _ in params)
            doc = re.sub(r"<[^>]+>", "", op.get("documentation", "")).strip().split(". ")[0]
            doc = doc.replace('"""', "'").replace("\\", "")
            w()
            prefix = "async def" if asyncio else "def"
            w(f"    {prefix} {method}(self, {sig}) -> {out}:")
            w(f'        """{opname}: {doc.rstrip(".")}."""')
            valid = tuple(f for f, _, _, _ in params)
            w(f"        if unknown:")
            w(f"            _unknown({opname!r}, unknown, {valid!r})")
            if asyncio:
                w(f"        return {out}._from_wire(await self._native.call_async({opname!r}, _in_{method}({call_args})))")
            else:
                w(f"        return {out}._from_wire(self._native.call({opname!r}, _in_{method}({call_args})))")
            if opname in PAGINATED:
                # Pages until nextToken is missing, empty or the one just sent (the core's rule).
                item = self.shapes[self.shapes[op["output"]["shape"]]["members"][PAGINATED[opname]]["shape"]]["member"]["shape"]
                kind, call = ("AsyncIterator", "await self._native.call_async") if asyncio else ("Iterator", "self._native.call")
                w()
                w(f"    def paginate_{method}(self, {sig}) -> {kind}[{item}]:")
                w(f'        """Every {item} of every page (an {"async " if asyncio else ""}iterator)."""')
                w(f"        if unknown:")
                w(f"            _unknown({opname!r}, unknown, {valid!r})")
                w(f"        params = _in_{method}({call_args})")
                w()
                w(f"        {'async ' if asyncio else ''}def pages() -> {kind}[{item}]:")
                w("            p = params")
                w("            while True:")
                w(f"                page = {call}({opname!r}, p)")
                w(f"                for x in page.get({PAGINATED[opname]!r}) or ():")
                w(f"                    yield {item}._from_wire(x)")
                w("                token = page.get('nextToken')")
                w("                if not token or token == p.get('nextToken'):")
                w("                    return")
                w("                p = {**p, 'nextToken': token}")
                w("        return pages()")

    def emit_options(self) -> None:
        """`_Options.__init__`: every setting of the core's `ClientOptions` (core/src/options.rs),
        under its snake_case names (the field's and boto3's aliases), as keyword arguments."""
        text = OPTIONS.read_text()
        body = text[text.index("pub struct ClientOptions {"):]
        body = body[: body.index("\n}")]
        types = {"String": "str", "bool": "bool", "u32": "int", "usize": "int", "f64": "float"}
        params, names, doc, prev = [], [], "", ""
        for line in body.splitlines()[1:]:
            line = line.strip()
            if line.startswith("///"):
                doc = line[3:].strip()
            m = re.match(r"pub (\w+): Option<(\w+)>,", line)
            if m:
                aliases = re.findall(r'alias = "([a-z_]+)"', prev)
                for name in [m.group(1)] + [a for a in aliases if a != m.group(1)]:
                    params.append(f"{name}: Optional[{types[m.group(2)]}] = None")
                    names.append(name)
                self.option_docs.append(f"{', '.join([m.group(1)] + aliases)}: {doc}")
            prev = line
        w = self.w
        w()
        w()
        w("class _Options:")
        w('    """Client settings, as in the core\'s ``ClientOptions`` (generated; durations in seconds)."""')
        w()
        w("    def _configure(self, credentials_provider: Any, options: Dict[str, Any], config: Any) -> None:")
        w("        raise NotImplementedError")
        w()
        sig = ", ".join(params + ["credentials_provider: Optional[CredentialsProvider] = None", "config: Any = None"])
        w(f"    def __init__(self, *, {sig}) -> None:")
        w('        """Settings by keyword (`None`: the default):')
        w()
        for d in self.option_docs:
            w(f"        - {d}")
        w("        - credentials_provider: a callable (sync or async) returning ``Credentials``, a dict or a tuple.")
        w('        - config: a ``botocore.config.Config`` or a dict of its settings (region_name, retries, timeouts)."""')
        w(f"        self._configure(credentials_provider, {{{', '.join(f'{n!r}: {n}' for n in names)}}}, config)")

    def run(self) -> str:
        self.collect()
        w = self.w
        w('"""Generated by codegen/gen_python.py from codegen/model/service-2.json and core/src/options.rs. Do not edit."""')
        w("# fmt: off")
        w("from __future__ import annotations")
        w()
        w("from ._base import _Shape, _bad, _datetime, _set, _struct, _struct_list, _seq, _str_list, _str_map, _ts, _unknown")
        w("from ._errors import ServiceError")
        w()
        w("# Annotations only (`typing` and `datetime` cost start-up time; see _base.py).")
        w("TYPE_CHECKING = False")
        w("if TYPE_CHECKING:")
        w("    import datetime")
        w("    from ._credentials import CredentialsProvider")
        w("    from typing import (Any, AsyncIterator, Dict, Iterator, List, Literal, Mapping, NoReturn, Optional, Sequence,")
        w("                        Tuple, Union)")
        w()
        w("__all__ = [")
        names = list(self.classes)
        for opname, op in self.m["operations"].items():
            if "output" not in op:
                names.append(f"{opname}Response")
        for n in names + self.errors:
            w(f"    {n!r},")
        w("]")
        for name in self.classes:
            self.emit_class(name)
        for opname, op in self.m["operations"].items():
            if "output" not in op:
                w()
                w()
                w(f"class {opname}Response(_Shape):")
                w(f'    """The (empty) result of {opname}."""')
                w()
                w("    __slots__ = ()")
                w("    _FIELDS = ()")
                w()
                w("    @classmethod")
                w(f"    def _from_wire(cls, d: Dict[str, Any]) -> {opname + 'Response'!r}:")
                w("        return object.__new__(cls)")
                w()
                w("    def to_dict(self) -> Dict[str, Any]:")
                w("        return {}")
        for e in self.errors:
            self.emit_error(e)
        w()
        w()
        w("MODELED_ERRORS = {")
        for e in self.errors:
            w(f"    {e!r}: {e},")
        w("}")
        for opname, op in self.m["operations"].items():
            self.emit_input_builder(opname, op)
        self.emit_methods(False)
        self.emit_methods(True)
        self.emit_options()
        return "\n".join(self.out) + "\n"


def struct_fields(name: str) -> tuple[str, list[tuple[str, str, str]]]:
    """(doc, [(field, Rust type, doc)]) of `pub struct name` in core/src/messaging/*.rs."""
    for f in sorted(MESSAGING.glob("*.rs")):
        text = f.read_text()
        m = re.search(r"((?:///[^\n]*\n)+)(?:#\[[^\n]*\n)*pub struct " + name + r" \{\n(.*?)\n\}", text, re.S)
        if m:
            doc = " ".join(l.strip()[3:].strip() for l in m.group(1).splitlines())
            fields, lines = [], []
            for line in m.group(2).splitlines():
                line = line.strip()
                if line.startswith("///"):
                    lines.append(line[3:].strip())
                elif line.startswith("pub "):
                    fm = re.match(r"pub (\w+): (.+),$", line)
                    assert fm, line
                    fields.append((fm.group(1), fm.group(2), " ".join(lines)))
                    lines = []
            return doc, fields
    raise KeyError(name)


def unlink(doc: str) -> str:
    """Rustdoc links (``[`X`](path)``) as plain code."""
    return re.sub(r"\[`([^`]+)`\](\([^)]*\))?", r"`\1`", doc)


PY_TYPES = {"String": "str", "Option<String>": "Optional[str]", "Attributes": "Dict[str, str]",
            "Option<Attributes>": "Optional[Dict[str, str]]", "SystemTime": "datetime.datetime", "i64": "int",
            "bool": "bool", "ChatUser": "ChatUser"}


def gen_events() -> tuple[str, str]:
    """The event classes (Python dataclasses) and their converters (Rust, to serde_json values
    with the Python field names; times as epoch microseconds)."""
    py = ['"""Generated by codegen/gen_python.py from core/src/messaging/*.rs. Do not edit."""',
          "# fmt: off", "from __future__ import annotations", "", "import datetime", "from dataclasses import dataclass",
          "from typing import Dict, Optional", ""]
    rs = ["// Generated by codegen/gen_python.py from core/src/messaging/*.rs. Do not edit.",
          "//! The core's messaging structs as `serde_json` values with the Python field names (times",
          "//! as epoch microseconds), read by `ivschat._messaging_model`.", "",
          "use std::time::{SystemTime, UNIX_EPOCH};", "", "use ivschat::messaging::*;",
          "use serde_json::{Value, json};", "", "/// Microseconds since the Unix epoch (negative before it).",
          "pub fn micros(t: SystemTime) -> i64 {", "    match t.duration_since(UNIX_EPOCH) {",
          "        Ok(d) => d.as_micros() as i64,", "        Err(e) => -(e.duration().as_micros() as i64),", "    }", "}"]
    for rust, (cls, kind, renames) in EVENT_STRUCTS.items():
        doc, fields = struct_fields(rust)
        ordered = [f for f in fields if not PY_TYPES[f[1]].startswith("Optional")]
        ordered += [f for f in fields if PY_TYPES[f[1]].startswith("Optional")]
        doc = unlink(doc)
        py += ["", "", "@dataclass(frozen=True)", f"class {cls}:", f'    """{doc}"""', ""]
        for name, ty, fdoc in ordered:
            default = " = None" if PY_TYPES[ty].startswith("Optional") else ""
            py.append(f"    {renames.get(name, name)}: {PY_TYPES[ty]}{default}")
            py.append(f'    """{unlink(fdoc)}"""')
        fn = re.sub(r"(?<!^)([A-Z])", r"_\1", rust).lower()
        rs += ["", f"/// `{rust}` → `ivschat.messaging.{cls}`.", f"pub fn {fn}(v: &{rust}) -> Value {{"]
        items = [] if kind is None else [f'"type": "{kind}"']
        for name, ty, _ in fields:
            value = {"SystemTime": f"micros(v.{name})", "ChatUser": f"chat_user(&v.{name})"}.get(ty, f"v.{name}")
            items.append(f'"{renames.get(name, name)}": {value}')
        rs += [f"    json!({{{', '.join(items)}}})", "}"]
    return "\n".join(py) + "\n", "\n".join(rs) + "\n"


def main() -> int:
    model = json.loads(MODEL.read_text())
    events_py, events_rs = gen_events()
    outputs = {OUT: Gen(model).run(), OUT_EVENTS: events_py, OUT_EVENTS_RS: events_rs}
    if "--check" in sys.argv:
        stale = [p for p, text in outputs.items() if not p.exists() or p.read_text() != text]
        for p in stale:
            print(f"{p.relative_to(ROOT)} is stale: run python3 codegen/gen_python.py", file=sys.stderr)
        return 1 if stale else 0
    for p, text in outputs.items():
        p.write_text(text)
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
