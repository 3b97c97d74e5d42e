#!/usr/bin/env python3
"""Sums a wasm module's code and data by crate, from `twiggy top -f csv` on standard input.

A function counts for the crate its demangled name starts with (`reactive_graph[..]::...`),
or, for a trait method (`<T as Trait>::f`), the crate of its type `T` (of the trait when the
type is elided, `<_ as Trait>`); names twiggy cannot place (shims, the module's own exports)
count as `(other)`, data segments as `(data)`.
Prints one line per crate, largest first, with its share of the whole.
"""

import collections
import csv
import re
import sys

CRATE = re.compile(
    r"^[<&\s]*(?:mut\s+|dyn\s+)?(?:_ as\s+)?([a-z_][a-z0-9_]*)\[[0-9a-f]+\]"
)


def crate_of(name: str) -> str:
    if name.startswith("data segment"):
        return "(data)"
    match = CRATE.match(name)
    return match.group(1) if match else "(other)"


def main() -> None:
    sizes: collections.Counter = collections.Counter()
    for row in csv.DictReader(sys.stdin):
        name = row["Name"]
        # The name section itself, and twiggy's own summary rows, are not in the shipped module.
        if "subsection" in name or name.startswith("..."):
            continue
        sizes[crate_of(name)] += int(row["ShallowSize"])
    total = sum(sizes.values()) or 1
    print(f"{'bytes':>9}  {'share':>6}  crate")
    for crate, size in sizes.most_common():
        print(f"{size:9d}  {100 * size / total:5.1f}%  {crate}")
    print(f"{total:9d}  100.0%  (all, before gzip)")


if __name__ == "__main__":
    main()
