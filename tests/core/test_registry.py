"""Registries: entries, validation, lazy targets, glob and tag filters, unknown names, clashes."""

from __future__ import annotations

import json
import sys

import pytest
from plugin_fixtures import FIXTURES_DIR

import ganzoo
from ganzoo.errors import PluginError, UnknownNameError, UsageError
from ganzoo.plugins import find_everywhere, get_registry, lookup
from ganzoo.registry import Registry, Spec, make_spec


def spec(name: str, *, tags=(), kind: str = "architectures", plugin: str = "p", **metadata) -> Spec:
    return make_spec(kind, name, "pkg.mod:build", summary=f"{name} summary", plugin=plugin, tags=tags,
                     metadata=metadata)


@pytest.fixture
def registry() -> Registry:
    reg = Registry("architectures")
    for name, tags in [("vanilla", ["unconditional", "mlp"]), ("dcgan", ["unconditional", "conv"]),
                       ("cgan", ["class-conditional", "mlp"]), ("gan10", []), ("gan2", []), ("pix2pix", ["conv"])]:
        assert reg.add(spec(name, tags=tags)) is None
    return reg


# -- entries ------------------------------------------------------------------------------------


def test_an_entry_holds_what_the_plugin_said():
    s = make_spec("losses", "hinge", "ganzoo_losses.losses:Hinge", summary="  Hinge loss\nmore text  ",
                  plugin="losses", tags=["margin"], metadata={"role": "adversarial"})
    assert (s.kind, s.name, s.plugin, s.tags) == ("losses", "hinge", "losses", ("margin",))
    assert s.target == "ganzoo_losses.losses:Hinge"
    assert s.summary == "Hinge loss"  # one line, trimmed
    assert s.metadata["role"] == "adversarial"
    with pytest.raises(TypeError):
        s.metadata["role"] = "changed"  # type: ignore[index]
    assert hash(s) == hash(make_spec("losses", "hinge", "ganzoo_losses.losses:Hinge", summary="Hinge loss",
                                     plugin="losses", tags=["margin"]))
    assert json.loads(json.dumps(s.to_dict()))["metadata"] == {"role": "adversarial"}


def test_to_dict_is_json_able_even_with_odd_metadata():
    s = spec("odd", sizes=(28, 32), nested={"a": (1, 2)}, obj=object())
    data = json.loads(json.dumps(s.to_dict()))
    assert data["metadata"]["sizes"] == [28, 32] and data["metadata"]["nested"] == {"a": [1, 2]}
    assert data["metadata"]["obj"].startswith("<object")


def test_a_single_string_tag_is_one_tag():
    assert spec("x", tags="mlp").tags == ("mlp",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "models"}, "unknown registry kind 'models'"),
        ({"name": "Vanilla"}, "invalid architecture name 'Vanilla'"),
        ({"name": "has space"}, "invalid architecture name"),
        ({"name": "-leading"}, "invalid architecture name"),
        ({"name": ""}, "invalid architecture name"),
        ({"name": 3}, "invalid architecture name 3"),
        ({"target": "pkg.mod"}, "expected 'package.module:attr'"),
        ({"target": "pkg.mod:"}, "expected 'package.module:attr'"),
        ({"target": "1pkg:attr"}, "expected 'package.module:attr'"),
        ({"summary": ""}, "needs a one-line summary"),
        ({"summary": "   "}, "needs a one-line summary"),
        ({"tags": ["ok", ""]}, "tags of 'good' must be non-empty strings"),
        ({"tags": [1]}, "tags of 'good' must be non-empty strings"),
        ({"metadata": ["a"]}, "metadata of 'good' must be a mapping"),
    ],
)
def test_make_spec_rejects_what_cannot_work(kwargs, message):
    args = {"kind": "architectures", "name": "good", "target": "pkg.mod:attr", "summary": "ok", "plugin": "p"}
    args.update(kwargs)
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_spec(args.pop("kind"), args.pop("name"), args.pop("target"), **args)


@pytest.mark.parametrize("name", ["vanilla", "dcgan-fashion", "stylegan2.ffhq", "a_b", "0gan"])
def test_make_spec_accepts_reasonable_names(name):
    assert spec(name).name == name


def test_the_target_is_imported_only_on_load(monkeypatch):
    monkeypatch.syspath_prepend(str(FIXTURES_DIR))
    sys.modules.pop("ganzoo_fake_lazy_target", None)
    lazy = make_spec("architectures", "lazy", "ganzoo_fake_lazy_target:build", summary="lazy", plugin="p")
    nested = make_spec("architectures", "nested", "ganzoo_fake_lazy_target:Factory.Nested.build",
                       summary="n", plugin="p")
    assert "ganzoo_fake_lazy_target" not in sys.modules
    assert lazy.load()() == "built"
    assert "ganzoo_fake_lazy_target" in sys.modules
    assert nested.load()() == "built"
    sys.modules.pop("ganzoo_fake_lazy_target", None)


@pytest.mark.parametrize("target", ["no_such_module_xyz:build", "ganzoo_vanilla.models:NoSuchClass"])
def test_a_target_that_does_not_load_blames_the_plugin(target):
    broken = make_spec("architectures", "broken", target, summary="b", plugin="someplugin")
    message = r"plugin 'someplugin' registered architecture 'broken' as .*reinstall or update"
    with pytest.raises(PluginError, match=message):
        broken.load()


# -- lookups and filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (None, ["cgan", "dcgan", "gan2", "gan10", "pix2pix", "vanilla"]),  # natural order: gan2 < gan10
        ("*", ["cgan", "dcgan", "gan2", "gan10", "pix2pix", "vanilla"]),
        ("*gan", ["cgan", "dcgan"]),
        ("gan?", ["gan2"]),
        ("gan*", ["gan2", "gan10"]),
        ("[cd]*", ["cgan", "dcgan"]),
        ("vanilla", ["vanilla"]),
        ("VANILLA", []),  # names are lower-case; patterns match case-sensitively
        ("nothing*", []),
    ],
)
def test_glob_patterns(registry, pattern, expected):
    assert registry.names(pattern) == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["mlp"], ["cgan", "vanilla"]),
        (["unconditional", "conv"], ["dcgan"]),  # every tag must match
        ("conv", ["dcgan", "pix2pix"]),  # one tag given as a string
        (["missing"], []),
    ],
)
def test_tag_filters(registry, tags, expected):
    assert registry.names(tags=tags) == expected


def test_pattern_and_tags_combine(registry):
    assert registry.names("*gan", ["mlp"]) == ["cgan"]


def test_unknown_name_suggests_close_matches(registry):
    with pytest.raises(UnknownNameError) as caught:
        registry.get("vanila")
    assert str(caught.value) == "unknown architecture 'vanila'; did you mean 'vanilla'?"
    assert isinstance(caught.value, LookupError) and caught.value.exit_code == 2
    assert registry.unknown_message("dcgna") == "unknown architecture 'dcgna'; did you mean 'dcgan' or 'cgan'?"


def test_unknown_name_without_close_matches_says_where_to_look(registry):
    assert registry.unknown_message("zzzzzz") == (
        "unknown architecture 'zzzzzz'; run 'ganzoo list architectures' to see what is available"
    )


def test_add_reports_the_entry_that_holds_the_name(registry):
    first = registry.get("vanilla")
    assert registry.add(spec("vanilla", plugin="other")) is first
    assert registry.get("vanilla").plugin == "p"
    registry.remove("vanilla")
    assert "vanilla" not in registry and len(registry) == 5
    registry.remove("vanilla")  # removing twice is harmless


def test_registry_basics(registry):
    assert [s.name for s in registry][:2] == ["cgan", "dcgan"]
    assert repr(registry) == "Registry('architectures', 6 entries)"


# -- the live registries -----------------------------------------------------------------------------


def test_the_live_registries_are_filled_by_the_builtin_plugins():
    assert "vanilla" in get_registry("architectures")
    assert {"non-saturating", "minimax", "lsgan", "hinge", "wasserstein"} <= set(get_registry("losses").names())
    assert {"gradient-penalty", "r1"} <= set(get_registry("regularisers").names())
    assert not {"gradient-penalty", "r1"} & set(get_registry("losses").names())  # one kind each
    assert lookup("losses", "hinge").plugin == "losses"
    assert [s.kind for s in find_everywhere("vanilla")] == ["architectures"]
    assert find_everywhere("no-such-thing") == []
    assert ganzoo.list_models("van*") == ["vanilla"]
    assert ganzoo.list_models(tags=("mlp",)) == ["vanilla"]


def test_live_lookup_of_a_typo():
    with pytest.raises(UnknownNameError, match=r"^unknown architecture 'vanila'; did you mean 'vanilla'\?$"):
        ganzoo.create_model("vanila")


def test_get_registry_rejects_unknown_kinds():
    with pytest.raises(UsageError, match="unknown registry kind 'model'; expected one of architectures, losses"):
        get_registry("model")
