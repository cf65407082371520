"""Scenarios: loading and validating ``seed/scenarios/*.yaml``, and the scripted caller."""

from crm_sandbox.scenarios.library import Scenario, ScenarioFile, load_library

__all__ = ["Scenario", "ScenarioFile", "load_library"]
