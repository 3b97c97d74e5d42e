#!/usr/bin/env python3
"""The browser bundle's sizes, from <site>/pkg/manifest.json: every file (raw and gzip) and
each route's first page, everything the browser fetches before that page is interactive:
the stylesheet, the glue, the main module and, for a route that is split off, the loader and
the modules its lazy view needs. Prints them and writes <report>/files.tsv and
<report>/sizes.tsv (which scripts/check-bundle.sh holds to scripts/bundle-budget.tsv).

Usage: site-sizes.py <site dir> <report dir>
"""

import json
import pathlib
import sys

# Each route and the lazy view it renders (app/src/lib.rs: `Lazy::<UploadRoute>` is
# `__upload_route_view_<hash>` in the manifest's preloads).
ROUTES = [("/", "upload_route"), ("/assets", "browse_route"), ("/assets/{id}", "asset_route")]


def main() -> None:
    site, report = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    pkg = site / "pkg"
    manifest = json.loads((pkg / "manifest.json").read_text())
    sizes = {}
    for path in sorted(pkg.iterdir()):
        if path.suffix in (".css", ".js", ".wasm"):
            sizes[path.name] = (path.stat().st_size, (pkg / f"{path.name}.gz").stat().st_size)

    base = [manifest["css"], manifest["js"], manifest["wasm"]]
    preloads = manifest.get("preloads", {})
    if preloads:
        base.append(manifest["split"])
    pages = []
    for route, view in ROUTES:
        needed = [
            f"{stem}.wasm"
            for lazy, stems in preloads.items()
            if lazy.startswith(f"__{view}_view_")
            for stem in stems
        ]
        if preloads and not needed:
            sys.exit(f"site-sizes: no lazy view `{view}` in the manifest for {route}")
        pages.append((route, sum(sizes[name][1] for name in base + needed)))
    pages.append(("all", sum(gz for _, gz in sizes.values())))

    report.mkdir(parents=True, exist_ok=True)
    with open(report / "files.tsv", "w") as out:
        out.write("name\traw\tgzip\n")
        for name, (raw, gz) in sizes.items():
            out.write(f"{name}\t{raw}\t{gz}\n")
    with open(report / "sizes.tsv", "w") as out:
        out.write("route\tgzip\n")
        for route, gz in pages:
            out.write(f"{route}\t{gz}\n")

    for name, (raw, gz) in sizes.items():
        print(f"    {name:58} {raw:9d} bytes raw {gz:8d} gzip", file=sys.stderr)
    for route, gz in pages:
        what = "all files together" if route == "all" else f"first page of {route}"
        print(f"    {what:58} {gz:27d} gzip", file=sys.stderr)


if __name__ == "__main__":
    main()
