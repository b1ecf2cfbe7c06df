"""gunicorn.conf.py, which production and bench/portal.py run the portal with."""

import gc
import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_the_master_freezes_the_loaded_app_before_forking_its_workers():
    config = runpy.run_path(str(CONFIG))
    assert config["preload_app"] is True  # the app is loaded in the master, before when_ready
    gc.unfreeze()
    try:
        config["when_ready"](None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
