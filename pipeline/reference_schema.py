"""One validator for the analyst-edited YAML files: pydantic models and one loader.

A file's shape is a `Schema` subclass (unknown keys refused, types strict: `3` is no text, `"3"`
no number, `1.5` no whole number). `load_model(file, Model)` reads the YAML and validates it; the
first problem becomes one `UserError` line in the shape every reference file has used:

    data/reference/retention.yaml: costs.recovery_per_complaint: must be above 0 (or null ...)

Keys are dotted, list items `[i]`, or `.<id>` when the item has an id. Checks across fields raise
`problem(...)` inside a model validator, naming the key they are about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)
from pydantic import model_validator as model_validator
from pydantic_core import PydanticCustomError

from pipeline import paths
from pipeline.errors import UserError

M = TypeVar("M", bound=BaseModel)


# --- reading ---------------------------------------------------------------------------------


def show(file: Path) -> str:
    """The file as the user knows it: relative to the project when inside it."""
    try:
        return str(Path(file).resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(file)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader refusing a key given twice in one mapping (PyYAML would keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(file: Path) -> Any:
    """The file's YAML; a syntax error or a duplicate key names the file and line."""
    try:
        return yaml.load(Path(file).read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise UserError(f"{show(file)}: not valid YAML: {where}{problem}") from None
    except UnicodeDecodeError:
        raise UserError(f"{show(file)}: not UTF-8 text; save it as UTF-8") from None


def load_model(file: Path, model: type[M], context: dict[str, Any] | None = None) -> M:
    """Read `file` and validate it as `model`; any problem is one UserError line."""
    data = read_yaml(file)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as e:
        raise schema_error(file, data, e) from None


def fail(file: Path, key: str, problem: str) -> UserError:
    """A check made after validation, in the same one-line shape."""
    return UserError(f"{show(file)}: {key or '(top level)'}: {problem}")


# --- models ----------------------------------------------------------------------------------


class Schema(BaseModel):
    """A mapping in a reference file: only the declared keys, strict types, read-only."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        # pydantic's own message does not say which keys are allowed; a typo is the usual cause
        if isinstance(data, dict) and cls.model_config.get("extra") == "forbid":
            allowed = [f.alias or name for name, f in cls.model_fields.items()]
            for key in data:
                if key not in allowed:
                    raise problem(key, f"unknown key (allowed: {', '.join(allowed)})")
        return data


def problem(at: str | int | tuple[str | int, ...], message: str) -> PydanticCustomError:
    """A validation problem with `at` the key(s) below the validated value it is about."""
    at = at if isinstance(at, tuple) else (at,)
    # pydantic fills `{name}` from the context by plain replacement: `{_at}` never occurs
    return PydanticCustomError("reference", message, {"_at": at})


def _check(ok: Callable[[Any], bool], message: Callable[[Any], str]) -> AfterValidator:
    def run(v: Any) -> Any:
        if not ok(v):
            raise problem((), message(v))
        return v

    return AfterValidator(run)


def _range(lo: float, hi: float | None) -> Callable[[Any], Any]:
    bound = f"between {lo} and {hi}" if hi is not None else f">= {lo}"

    def check(v: Any) -> Any:
        # numbers only: anything else is left to the type's own "expected a number"
        if isinstance(v, int | float) and not isinstance(v, bool):
            if v < lo or (hi is not None and v > hi):
                raise problem((), f"{v!r} out of range (must be {bound})")
        return v

    return check


def Whole(lo: int, hi: int | None = None) -> Any:  # noqa: N802 - used as a type
    """A whole number in lo..hi (hi None: no upper bound)."""
    return Annotated[int, AfterValidator(_range(lo, hi))]


def Number(lo: float, hi: float | None = None) -> Any:  # noqa: N802 - used as a type
    """A number (whole or not) in lo..hi, read as a float."""
    # checked before pydantic turns 2 into 2.0: the message shows the value as written
    return Annotated[float, BeforeValidator(_range(lo, hi))]


def _stripped(v: str) -> str:
    if not v.strip():
        raise problem((), "expected a non-empty text, got ''")
    return v.strip()


# A non-empty text, surrounding blanks dropped.
Text = Annotated[str, AfterValidator(_stripped)]


def OneOf(options: Iterable[str]) -> Any:  # noqa: N802 - used as a type
    """One of a vocabulary's words."""
    options = tuple(options)
    return Annotated[
        str, _check(lambda v: v in options, lambda v: f"{v!r} is not one of {', '.join(options)}")
    ]


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _is_id(v: str) -> str:
    if not _ID.match(v):
        raise problem((), f"{v!r} is not an id (lower-case letters, digits, _)")
    return v


# An id: lower-case letters, digits and _, starting with a letter.
Id = Annotated[Text, AfterValidator(_is_id)]


def Languages(value: Any, required: Iterable[str] = ()) -> Any:  # noqa: N802 - used as a type
    """language code -> value, holding at least the `required` languages."""
    required = tuple(required)

    def check(v: dict[str, Any]) -> dict[str, Any]:
        for lang in required:
            if lang not in v:
                raise problem(lang, "missing key")
        for lang in v:
            if not _LANGUAGE_CODE.match(lang):
                raise problem(lang, "not a language code (e.g. en, ms, id, nl)")
        return v

    return Annotated[dict[str, value], AfterValidator(check)]


def Texts(required: Iterable[str], squeeze: bool = False) -> Any:  # noqa: N802 - used as a type
    """language -> text with at least the `required` languages; `squeeze`: blank runs one space."""
    if not squeeze:
        return Languages(Text, required)
    squeezed = AfterValidator(lambda v: {k: " ".join(t.split()) for k, t in v.items()})
    return Annotated[Languages(Text, required), squeezed]


def Strings(item: Any = Text, min_len: int = 1) -> Any:  # noqa: N802 - used as a type
    """A list of texts (or of `item`), none listed twice (case ignored)."""

    def once(v: list[str]) -> list[str]:
        seen: set[str] = set()
        for s in v:
            if s.casefold() in seen:
                raise problem((), f"{s.casefold()!r} listed twice")
            seen.add(s.casefold())
        return v

    return Annotated[list[item], Field(min_length=min_len), AfterValidator(once)]


def KeysOf(options: Iterable[str], value: Any) -> Any:  # noqa: N802 - used as a type
    """A mapping whose keys are some of `options` (in the file's order)."""
    options = tuple(options)

    def known(v: Any) -> Any:
        for key in v if isinstance(v, dict) else ():
            if key not in options:
                raise problem(str(key), f"unknown key (allowed: {', '.join(options)})")
        return v

    return Annotated[dict[str, value], BeforeValidator(known)]


def keyed(name: str, keys: Iterable[str], value: Any) -> type[Schema]:
    """A mapping holding every word of a vocabulary as a key (checked like any model's keys)."""
    return create_model(name, __base__=Schema, **{k: (value, ...) for k in keys})


# --- one line from a ValidationError ---------------------------------------------------------


def schema_error(file: Path, data: Any, e: ValidationError) -> UserError:
    """The first problem of `e` as `<file>: <key path>: <what is wrong>`."""
    err = e.errors(include_url=False)[0]  # in the file's order of keys, as a reader checks
    loc = tuple(p for p in err["loc"] if p != "[key]") + tuple(err.get("ctx", {}).get("_at", ()))
    return fail(file, _path(data, loc), _message(err))


def _path(data: Any, loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int) and isinstance(data, list) and part < len(data):
            item = data[part]
            ident = item.get("id") if isinstance(item, dict) else None
            out += f".{ident}" if isinstance(ident, str) and ident.strip() else f"[{part}]"
            data = item
            continue
        out += f".{part}" if out else str(part)
        data = data.get(part) if isinstance(data, dict) else None
    return out.lstrip(".")


def _kind(v: Any) -> str:
    return "nothing" if v is None else repr(v) if isinstance(v, str) else type(v).__name__


def _message(err: dict[str, Any]) -> str:
    kind, value = err["type"], err.get("input")
    messages = {
        "missing": "missing key",
        "int_type": f"expected a whole number, got {value!r}",
        "float_type": f"expected a number, got {value!r}",
        "bool_type": f"expected true or false, got {value!r}",
        "string_type": f"expected a non-empty text, got {_kind(value)}",
        "model_type": f"expected a mapping, got {_kind(value)}",
        "dict_type": f"expected a mapping, got {_kind(value)}",
        "list_type": f"expected a list, got {_kind(value)}",
        "too_short": f"needs at least {err.get('ctx', {}).get('min_length')} item(s)",
    }
    return messages.get(kind) or err["msg"]
