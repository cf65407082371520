"""The centre's IQA sampling policy (``seed/sampling.yaml``): sampling rates by assessor risk, kept as data."""

from functools import lru_cache
from pathlib import Path

import yaml

from crm_sandbox.content import file_stamp
from crm_sandbox.quality.sampling import Policy, read_policy


@lru_cache(maxsize=4)
def _parse(path: str, stamp: tuple) -> Policy:
    return read_policy(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})


def load_sampling_policy(seed_dir: str) -> Policy:
    """The policy, parsed once until the file changes."""
    path = Path(seed_dir, "sampling.yaml")
    return _parse(str(path), file_stamp(path))
