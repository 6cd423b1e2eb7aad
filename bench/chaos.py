from __future__ import annotations

from tests.reliability.e2e import compare_with_truth


def main() -> None:
    print(compare_with_truth)
