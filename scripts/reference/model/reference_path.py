"""Finds the reference model scripts/emohrnet.py (set EMOHR_REFERENCE_SCRIPTS to its folder; by default
../shared/reference/scripts next to the repository, as on the development machines)."""
import importlib
import os
import sys


def import_emohrnet():
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("EMOHR_REFERENCE_SCRIPTS", ""),
                  os.path.join(here, "../../../../shared/reference/scripts"),
                  "/work/shared/reference/scripts"]
    for folder in candidates:
        if folder and os.path.exists(os.path.join(folder, "emohrnet.py")):
            sys.path.insert(0, os.path.abspath(folder))
            return importlib.import_module("emohrnet")
    raise SystemExit("emohrnet.py not found: set EMOHR_REFERENCE_SCRIPTS to the folder holding it")
