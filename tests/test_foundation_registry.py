import pytest

from tempose.registry import Registry, RegistryError


def test_register_build_and_errors():
    reg = Registry("widget")

    @reg.register("box")
    def make_box(size=1, colour=None):
        return ("box", size, colour)

    assert reg.available() == ["box"] and "box" in reg
    assert reg.build("box", size=3, colour=None) == ("box", 3, None)  # None kwargs fall back to defaults
    with pytest.raises(RegistryError, match="already registered"):
        reg.add("box", make_box)
    with pytest.raises(RegistryError, match="unknown widget 'ball'; available: box"):
        reg.get("ball")


def test_entry_point_plugins_are_loaded(monkeypatch):
    class FakeEntryPoint:
        name = "plugged"

        def load(self):
            return lambda: "from plugin"

    monkeypatch.setattr("tempose.registry.entry_points", lambda group: [FakeEntryPoint()] if group == "g" else [])
    reg = Registry("thing", entry_point_group="g")
    assert reg.build("plugged") == "from plugin"
