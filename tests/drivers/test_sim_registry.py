"""drivers.registry: every kind maps to its driver, and each config model names the same kind."""

from __future__ import annotations

import typing

import pytest

from drivers import registry
from drivers.base import Driver, DriverConfig
from drivers.sim.gate import SimGate


def test_each_kind_matches_its_config_model() -> None:
    sims = {"sim.gate", "sim.sos", "sim.face_camera", "sim.facade_camera", "sim.speaker"}
    assert sims <= set(registry.DRIVERS)
    for kind, driver in registry.DRIVERS.items():
        assert issubclass(driver, Driver)
        assert typing.get_args(driver.config_model.model_fields["kind"].annotation) == (kind,)
        assert driver.config_model.model_fields["kind"].default == kind
        if kind in sims:
            assert {"sim.unplug", "sim.replug"} <= driver.commands


def test_driver_class_and_unknown_kinds() -> None:
    assert registry.driver_class("sim.gate") is SimGate
    with pytest.raises(KeyError, match=r"no driver for device kind 'sim\.toaster'.*sim\.gate"):
        registry.driver_class("sim.toaster")


def test_config_models_give_forms_titles() -> None:
    models = registry.config_models()
    assert len(models) == len(registry.DRIVERS) and all(issubclass(m, DriverConfig) for m in models)
    for model in models:
        schema = model.model_json_schema()
        own = set(model.model_fields) - set(DriverConfig.model_fields)
        assert all("title" in schema["properties"][name] for name in own), model.__name__
        assert schema["additionalProperties"] is False
