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


def test_bad_hyperparameters_are_registry_errors_but_bugs_stay_bugs():
    reg = Registry("widget")

    @reg.register("box")
    def make_box(size=1):
        if size < 1:
            raise ValueError(f"size {size} must be ≥ 1")
        return None + size if size == 99 else size  # a bug for size 99

    with pytest.raises(RegistryError, match=r"^widget 'box': size 0 must be ≥ 1$"):
        reg.build("box", size=0)
    with pytest.raises(RegistryError, match=r"widget 'box': .*unexpected keyword argument 'colour'"):
        reg.build("box", colour="red")
    with pytest.raises(TypeError, match="unsupported operand"):
        reg.build("box", size=99)


def test_entry_point_plugins_are_loaded(monkeypatch):
    class FakeEntryPoint:
        name = "plugged"

        def load(self):
            return lambda: "from plugin"

    monkeypatch.setattr("tempose.registry.entry_points", lambda group: [FakeEntryPoint()] if group == "g" else [])
    reg = Registry("thing", entry_point_group="g")
    assert reg.build("plugged") == "from plugin"
