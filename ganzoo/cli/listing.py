"""``ganzoo list``, ``ganzoo info`` and ``ganzoo plugins``: looking at what is installed.

Nothing here imports torch unless ``info`` is asked for a target's parameters.
"""

from __future__ import annotations

import difflib
import inspect
import math
from typing import TYPE_CHECKING, Any

import click

from ganzoo.cli.output import echo_json, echo_table, human_size
from ganzoo.errors import PluginError, UnknownNameError, UsageError
from ganzoo.plugins import find_everywhere, get_registry
from ganzoo.registry import KINDS, Spec

#: The longest ``plugins --check --timeout``: a day. Without a bound, ``inf`` never times out.
MAX_CHECK_TIMEOUT = 86400.0

if TYPE_CHECKING:
    from ganzoo.plugins import CheckResult


def _extra_column(spec: Spec) -> str:
    """The kind-specific facts ``ganzoo list`` adds after the summary."""
    meta = spec.metadata
    if spec.kind == "pretrained":
        from ganzoo.hub.zoo import zoo_facts

        found = zoo_facts(spec) or {}
        dataset = found.get("dataset") or meta.get("dataset") or "?"
        size = found.get("weights_bytes") or meta.get("size_bytes")
        return f"{dataset}, {human_size(size) if size else '?'}"
    if spec.kind == "architectures":
        return str(meta.get("task", ""))
    if spec.kind == "datasets" and "channels" in meta:
        side = meta.get("size")
        return f"{meta['channels']}x{side}x{side}" if side else f"{meta['channels']}ch"
    if spec.kind == "regularisers":
        aliases = meta.get("aliases") or ()
        aliases = [aliases] if isinstance(aliases, str) else list(aliases)
        weight = f"weight {meta['default_weight']:g}" if isinstance(meta.get("default_weight"), (int, float)) else ""
        alias = f"alias {', '.join(map(str, aliases))}" if aliases else ""
        return ", ".join(part for part in (weight, alias) if part)
    return ""


@click.command("list")
@click.argument("kind", required=False)
@click.argument("pattern", required=False)
@click.option("--tag", "tags", multiple=True, help="Only entries with this tag (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(kind: str | None, pattern: str | None, tags: tuple[str, ...], as_json: bool) -> None:
    """List what the registries hold: architectures, losses, regularisers, datasets, metrics, features, pretrained.

    KIND picks one registry (default: all, grouped). PATTERN is a glob on names; it may come
    first when no KIND is given.

    \b
    Examples:
      ganzoo list
      ganzoo list architectures
      ganzoo list losses '*gan*'
      ganzoo list 'dc*'
      ganzoo list datasets --tag grayscale --json
    """
    if kind is not None and kind not in KINDS:
        singular = {noun.split()[0]: plural for plural, noun in KINDS.items()}
        if kind in singular:
            kind = singular[kind]
        elif pattern is None:
            kind, pattern = None, kind
        else:
            raise UsageError(f"unknown kind '{kind}'; choose one of: {', '.join(KINDS)}")
    kinds = [kind] if kind else list(KINDS)
    grouped = {k: get_registry(k).specs(pattern, tags) for k in kinds}
    if as_json:
        echo_json({k: [_with_origin(s.to_dict()) for s in specs] for k, specs in grouped.items()})
        return
    first = True
    for k, specs in grouped.items():
        if not specs and kind is None:
            continue
        if not first:
            click.echo()
        first = False
        click.echo(click.style(f"{k} ({len(specs)})", bold=True))
        if not specs:
            click.echo("  (none)" if pattern is None else f"  (none matching '{pattern}')")
            continue
        echo_table([["  " + s.name, s.summary, _extra_column(s), s.plugin] for s in specs], shrink=1)
    if first:
        wanted = ([f"'{pattern}'"] if pattern else []) + [f"tag '{t}'" for t in tags]
        click.echo(f"nothing matches {' and '.join(wanted)}" if wanted else "the registries are empty")


def _with_origin(data: dict[str, Any]) -> dict[str, Any]:
    """Add the distribution and version of the plugin that registered an entry."""
    from ganzoo.plugins import get_manager

    plugin = get_manager().plugins.get(data["plugin"])
    data["plugin_distribution"] = plugin.distribution if plugin else None
    data["plugin_version"] = plugin.version if plugin else None
    return data


def _unknown_anywhere(name: str) -> str:
    """The message for a name no registry holds; named after the kind its close matches are."""
    close_by_kind = {
        kind: difflib.get_close_matches(name, get_registry(kind).names(), n=3, cutoff=0.6) for kind in KINDS
    }
    kinds_with_matches = [kind for kind, close in close_by_kind.items() if close]
    if len(kinds_with_matches) == 1:
        return get_registry(kinds_with_matches[0]).unknown_message(name)
    every = [n for k in KINDS for n in get_registry(k).names()]
    close = difflib.get_close_matches(name, every, n=3, cutoff=0.6)
    hint = ("did you mean " + " or ".join(f"'{c}'" for c in close) + "?" if close
            else "run 'ganzoo list' to see every name")
    from ganzoo.plugins import get_manager

    note = get_manager().skipped_note()
    return f"nothing is called '{name}'; {hint}" + (f"; {note}" if note else "")


def _parameters(spec: Spec) -> list[dict[str, Any]]:
    """Constructor parameters of a callable target, with defaults."""
    target = spec.load()
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    params = []
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == "self":
            continue
        default = None if p.default is inspect.Parameter.empty else p.default
        annotation = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "")
        params.append(
            {
                "name": p.name,
                "default": (default if isinstance(default, (int, float, str, bool, type(None), list, tuple))
                            else repr(default)),
                "required": p.default is inspect.Parameter.empty,
                "type": annotation if annotation != "_empty" else "",
            }
        )
    return params


def _as_options(defaults: dict[str, Any]) -> list[tuple[str, str]]:
    """Training defaults as the ``ganzoo train`` options that would set them."""
    rows = []
    for field, value in defaults.items():
        flag = "--" + field.replace("_", "-")
        if field == "regularisers":
            flag = "--reg"
            text = " ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else str(k) for k, v in value.items())
            text = text or "none"
        elif field == "arch_options":
            flag, text = "--set", " ".join(f"{k}={v}" for k, v in value.items())
        elif field == "data_options":
            flag, text = "--data", " ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            text = ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = str(value)
        rows.append((flag, text))
    return rows


def _describe_prefixed(name: str, as_json: bool) -> bool:
    """Show a name that a dataset owns by prefix (``hf:owner/name``) through the dataset's own
    ``describe`` target (``metadata={"prefix": "hf:", "describe": "pkg.module:func"}``)."""
    import importlib

    for spec in get_registry("datasets"):
        prefix, target = spec.metadata.get("prefix"), spec.metadata.get("describe")
        if not (isinstance(prefix, str) and prefix and name.startswith(prefix) and isinstance(target, str)):
            continue
        module, _, attr = target.partition(":")
        data = getattr(importlib.import_module(module), attr)(name[len(prefix):])
        if as_json:
            echo_json(data)
            return True
        click.echo(click.style(str(data.get("name", name)), bold=True) + f"  (data set, through '{spec.name}')")
        rows: list[list[str]] = []
        for key, value in data.items():
            if key in ("name", "features", "splits") or value is None:
                continue
            rows.append(["  " + key, str(value)])
        echo_table(rows)
        click.echo("features")
        echo_table([["  " + k, str(v)] for k, v in dict(data.get("features") or {}).items()])
        click.echo("splits")
        echo_table([["  " + k, ", ".join(f"{n:,} {what}" for what, n in dict(v).items() if n is not None)]
                    for k, v in dict(data.get("splits") or {}).items()])
        return True
    return False


@click.command("info")
@click.argument("name")
@click.option("--kind", type=click.Choice(list(KINDS)), help="Which registry, when NAME is in several.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info_command(name: str, kind: str | None, as_json: bool) -> None:
    """Show one registry entry: summary, plugin and version, metadata and parameters.

    \b
    Examples:
      ganzoo info vanilla
      ganzoo info fashion-mnist
      ganzoo info hinge --kind losses --json
      ganzoo info hf:uoft-cs/cifar10     # a Hub data set: features, splits, sizes, licence
    """
    from ganzoo.plugins import get_manager

    if kind:
        spec = get_registry(kind).get(name)
    else:
        found = find_everywhere(name)
        if not found and _describe_prefixed(name, as_json):
            return
        if not found:
            raise UnknownNameError(_unknown_anywhere(name))
        if len(found) > 1:
            kinds = ", ".join(s.kind for s in found)
            raise UsageError(f"'{name}' is in several registries ({kinds}); pass --kind")
        spec = found[0]
    plugin = get_manager().plugins.get(spec.plugin)
    data = _with_origin(spec.to_dict())
    if spec.kind == "architectures":
        from ganzoo.train.config import check_train_defaults

        defaults, error = check_train_defaults(spec)
        data["train_defaults"] = defaults
        if error:
            data["train_defaults_error"] = error
    if spec.kind != "pretrained":
        try:
            data["parameters"] = _parameters(spec)
        except PluginError as exc:  # show what the registry knows even when the code is broken
            data["parameters"] = None
            data["parameters_error"] = str(exc)
    if as_json:
        echo_json(data)
        return
    click.echo(click.style(f"{spec.name}", bold=True) + f"  ({KINDS[spec.kind]})")
    click.echo(f"  {spec.summary}")
    origin = spec.plugin
    if plugin and plugin.distribution:
        origin += f" (from {plugin.distribution} {plugin.version or ''})".rstrip()
    rows = [["plugin", origin], ["target", spec.target]]
    if spec.tags:
        rows.append(["tags", ", ".join(spec.tags)])
    for key, value in spec.metadata.items():
        if key == "train_defaults":
            continue  # shown below as the options they stand for
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        rows.append([key, str(value)])
    echo_table([["  " + k, v] for k, v in rows])
    if data.get("train_defaults_error"):
        click.echo(f"training defaults: unusable ({data['train_defaults_error']})")
    elif data.get("train_defaults"):
        click.echo("training defaults (what 'ganzoo train' uses unless you pass these options)")
        echo_table([["  " + flag, value] for flag, value in _as_options(data["train_defaults"])])
    params = data.get("parameters")
    if data.get("parameters_error"):
        click.echo(f"parameters: unavailable ({data['parameters_error']})")
    if params:
        click.echo("parameters")
        echo_table(
            [["  " + p["name"], "(required)" if p["required"] else f"= {p['default']!r}", p["type"]] for p in params]
        )


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--check", is_flag=True,
              help="Load each plugin in a process of its own and report the ones that hang, exit or crash.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True, max=MAX_CHECK_TIMEOUT), default=30,
              show_default=True,
              metavar="SECONDS", help="With --check: how long a plugin may load before it counts as hanging.")
def plugins_command(as_json: bool, check: bool, timeout: float) -> None:
    """List installed plugins: distribution, version, hooks, what each registered, errors.

    A plugin that fails to load is skipped and shown here with its error; the rest of ganzoo
    keeps working. GANZOO_LOAD_PLUGINS="" loads the built-ins only.

    --check loads no plugin in this process: it starts one process per plugin, so a plugin that
    hangs, ends the process or crashes it is named instead of taking ganzoo down. It exits 1
    when any plugin misbehaves, and says which GANZOO_LOAD_PLUGINS setting leaves them out.

    \b
    Examples:
      ganzoo plugins
      ganzoo plugins --json
      ganzoo plugins --check
      ganzoo plugins --check --timeout 10 --json
    """
    if check:
        if not math.isfinite(timeout):  # click's range lets NaN through; NaN never times out
            raise UsageError(f"--timeout must be a number of seconds, from 0 to {MAX_CHECK_TIMEOUT:g}; got {timeout}")
        _check_command(as_json, timeout)
        return
    from ganzoo.plugins import get_manager

    manager = get_manager()
    plugins = list(manager.plugins.values()) + list(manager.skipped)
    if as_json:
        echo_json([p.to_dict() for p in plugins])
        return
    colours = {"ok": "green", "failed": "red", "skipped": "yellow"}
    for info in plugins:
        click.echo(_plugin_headline(info, colours[info.status], f"module {info.module}"))
        if info.skipped:
            click.echo(f"  skipped: {info.skipped}")
        if info.hooks:
            click.echo(f"  hooks: {', '.join(info.hooks)}")
        for k, names in info.registered.items():
            click.echo(f"  {k}: {', '.join(names)}")
        for clash in info.clashes:
            click.echo(f"  clash: {clash}")
        if info.error:
            click.echo(f"  error: {info.error}")
            if info.details:
                for line in info.details.rstrip().splitlines()[-6:]:
                    click.echo(f"    {line}")
    if not plugins:
        click.echo("no plugins are installed")


def _plugin_headline(plugin: Any, colour: str, tail: str) -> str:
    """``name  [status]  distribution version, built-in|third-party, TAIL`` for one plugin."""
    status = click.style("ok" if plugin.status == "ok" else plugin.status.upper(), fg=colour)
    origin = f"{plugin.distribution or '-'} {plugin.version or ''}".strip()
    kind = "built-in" if plugin.builtin else "third-party"
    return f"{click.style(plugin.name, bold=True)}  [{status}]  {origin}, {kind}, {tail}"


def _check_command(as_json: bool, timeout: float) -> None:
    """``ganzoo plugins --check``: one process per plugin, one line (or two) per plugin."""
    from ganzoo.plugins import allow_list_without, check_plugins

    results = check_plugins(timeout=timeout)
    if as_json:
        echo_json([r.to_dict() for r in results])
    else:
        colours = {"ok": "green", "failed": "red", "hangs": "red", "exited": "red", "crashed": "red"}
        for r in results:
            click.echo(_plugin_headline(r, colours[r.status], f"{r.seconds:.1f} s"))
            if r.detail:
                click.echo(f"  {r.detail}")
            if r.printed:
                click.echo(f"  printed to stdout while loading (ganzoo sends that to stderr): {r.printed}")
            if r.skipped:
                click.echo(f"  not loaded by other commands: {r.skipped}")
        if not results:
            click.echo("no plugins are installed")
    bad = [r for r in results if not r.ok]
    if not bad:
        return
    what = ", ".join(f"'{r.name}' {_misbehaviour(r)}" for r in bad)
    third_party = [r.name for r in bad if not r.builtin]
    advice = []
    if third_party:
        advice.append(f"to run ganzoo without {'it' if len(third_party) == 1 else 'them'}, "
                      f"set {allow_list_without(third_party)}")
    if len(third_party) < len(bad):
        advice.append("a built-in plugin failing is a ganzoo bug: reinstall ganzoo, and please report it")
    noun = "plugin" if len(results) == 1 else "plugins"
    verb = "misbehaves" if len(bad) == 1 else "misbehave"
    raise PluginError(f"{len(bad)} of {len(results)} {noun} {verb}: {what}; {'; '.join(advice)}")


def _misbehaviour(result: CheckResult) -> str:
    if result.status == "exited":
        return f"exited with code {result.exit_code}"
    if result.status == "crashed":
        return f"crashed ({result.signal})"
    return {"hangs": "hangs", "failed": "failed to load"}[result.status]


COMMANDS = [list_command, info_command, plugins_command]
