"""(placeholder until the feature lands)"""
from .harness import Skip

WHAT = "pdfs"
TARGET = ""


def run(smoke=False, runs=3):
    raise Skip("not written yet")
