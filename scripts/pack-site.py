#!/usr/bin/env python3
"""Packs the built browser bundle into <site>/pkg/ under content-hashed names (safe to cache
for a year), each with a gzip twin, and writes pkg/manifest.json naming them. The JavaScript
(the glue and the split loader) and the stylesheet (which the server inlines into every page)
are minified with esbuild.

Usage: pack-site.py <work dir> <site dir> <stylesheet>

<work dir> holds what scripts/build-site.sh made: bindgen/ferry.js (wasm-bindgen's glue),
ferry.wasm (the main module, optimised), modules/<stem>.wasm (the split modules, optimised),
split/__wasm_split.js (their loader) and split/prefetch.json (for each lazy route or
function, the module stems it needs).

Names: a split module and the stylesheet and main module are named after their own content.
The glue and the loader import each other, so they share one name hash, of both of them
with the split modules' new names written in: any change to either, or to a module, renames
both. The manifest's `preloads` use the new stems, which the server preloads for the lazy
routes a page renders.
"""

import gzip
import hashlib
import json
import pathlib
import re
import subprocess
import sys


def digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.hexdigest()[:16]


def write(pkg: pathlib.Path, name: str, data: bytes) -> str:
    (pkg / name).write_bytes(data)
    # mtime=0: the same input packs to the same bytes.
    (pkg / f"{name}.gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return name


ESBUILD = pathlib.Path("end2end/node_modules/.bin/esbuild")


def minify(text: str, loader: str = "js") -> str:
    """JavaScript (`loader` js) or CSS (css) minified by esbuild: whitespace, syntax, and a
    script's local names; its ES imports, exports and property names stay as they are. No
    target is given, so nothing is rewritten for older browsers."""
    if not ESBUILD.exists():
        sys.exit(f"pack-site: {ESBUILD} is missing: run scripts/bootstrap.sh")
    form = ["--format=esm"] if loader == "js" else []
    done = subprocess.run(
        [str(ESBUILD), "--minify", *form, f"--loader={loader}", "--log-level=warning"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def main() -> None:
    work, site, stylesheet = (pathlib.Path(a) for a in sys.argv[1:4])
    pkg = site / "pkg"
    pkg.mkdir(parents=True, exist_ok=True)

    css = minify(pathlib.Path(stylesheet).read_text(), "css").encode()
    main_wasm = (work / "ferry.wasm").read_bytes()
    manifest = {
        "css": write(pkg, f"ferry.{digest(css)}.css", css),
        "wasm": write(pkg, f"ferry.{digest(main_wasm)}.wasm", main_wasm),
        "hashed": True,
    }

    glue = (work / "bindgen" / "ferry.js").read_text()
    loader_path = work / "split" / "__wasm_split.js"
    if not loader_path.exists():
        glue = minify(glue)
        manifest["js"] = write(pkg, f"ferry.{digest(glue.encode())}.js", glue.encode())
    else:
        loader = loader_path.read_text()
        stems = {}
        for module in sorted((work / "modules").glob("*.wasm")):
            data = module.read_bytes()
            stems[module.stem] = f"{module.stem}.{digest(data)}"
            write(pkg, f"{stems[module.stem]}.wasm", data)
            loader, n = re.subn(
                rf'"\./{re.escape(module.stem)}\.wasm"', f'"./{stems[module.stem]}.wasm"', loader
            )
            if n != 1:
                sys.exit(f"pack-site: the loader names {module.name} {n} times, expected once")
        shared = digest(glue.encode(), loader.encode())
        js, split = f"ferry.{shared}.js", f"__wasm_split.{shared}.js"
        # The glue's ES imports of the loader (the wasm imports keep their module name).
        glue, n = re.subn(r'from "\./__wasm_split\.js"', f'from "./{split}"', glue)
        loader, m = re.subn(r'from "\./ferry\.js"', f'from "./{js}"', loader)
        if n == 0 or m != 1:
            sys.exit(f"pack-site: {n} loader imports in the glue, {m} glue imports in the loader")
        manifest["js"] = write(pkg, js, minify(glue).encode())
        manifest["split"] = write(pkg, split, minify(loader).encode())
        prefetch = json.loads((work / "split" / "prefetch.json").read_text())
        manifest["preloads"] = {
            lazy: [stems[stem] for stem in needed] for lazy, needed in sorted(prefetch.items())
        }
    (pkg / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
