#!/usr/bin/env python3
"""`make size`: the bytes the browser downloads, raw and gzip -9.

The entry (index.html's module script: app.js, the main wasm, the split
loader and the css) is what every visit downloads before the first page can
run; each page's code is a lazily loaded wasm chunk (app/build-wasm.sh).
Reports the entry, then every page as entry + its own chunk + the shared
chunks it needs (read from the loader's dependency lists), and fails when
the entry or any page is over its budget.

usage: size-report.py DIST LOADER ENTRY_BUDGET PAGE_BUDGET [WORKER_WASM
                      [PUBLIC_HTML PUBLIC_BUDGET]]

PUBLIC_HTML is the partners' /register page as the Worker renders it
(tests/src/bin/publicpage.rs); its cold load is that HTML plus what it links
in DIST/partner/ (css, the script and its wasm), within PUBLIC_BUDGET.

LOADER is the unminified chunk loader the build leaves beside its work
(target/wasm-split/__wasm_split.js): the shipped one is minified.
"""
import glob
import gzip
import os
import re
import sys


def sizes(path):
    data = open(path, "rb").read()
    return len(data), len(gzip.compress(data, compresslevel=9, mtime=0))


def main():
    dist, loader_path = sys.argv[1], sys.argv[2]
    entry_budget, page_budget = int(sys.argv[3]), int(sys.argv[4])
    pkgs = glob.glob(os.path.join(dist, "pkg-*"))
    if len(pkgs) != 1:
        sys.exit(f"expected one {dist}/pkg-*/ folder, found {len(pkgs)}: run the build")
    pkg = pkgs[0]
    loader = open(loader_path).read()

    row = "{:<52} {:>10} {:>10}"
    print(row.format("file", "raw", "gzip"))
    entry = [os.path.join(pkg, f) for f in ("app_bg.wasm", "app.js", "__wasm_split.js")]
    entry += sorted(glob.glob(os.path.join(dist, "*.css")))
    entry_raw = entry_gz = 0
    for f in entry:
        raw, gz = sizes(f)
        entry_raw, entry_gz = entry_raw + raw, entry_gz + gz
        print(row.format(os.path.relpath(f, dist), raw, gz))
    print(row.format("entry (first load before any page)", entry_raw, entry_gz))

    # `const __chunk_N = makeLoad(... "./chunk_N.wasm" ..., [deps])` and
    # `export const __wasm_split_load___<page>_view_<hash> = ... [deps]`.
    chunk_file = dict(re.findall(r'const (__chunk_\d+) = makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\./([^"]+)"', loader))
    pages = re.findall(
        r'export const __wasm_split_load___(\w+?)(?:_page)?_view_\d+ = wrapAsyncCb\(makeLoad\(\(\) => \{\s*'
        r'const src = fetch\(new URL\("\./([^"]+)".*?\n, \[([^\]]*)\]\)\);',
        loader, re.S)
    if not pages:
        sys.exit("no lazily loaded pages found in __wasm_split.js")
    over = []
    print()
    print(row.format("page (entry + its chunks)", "raw", "gzip"))
    own_files = {
        name: [own] + [chunk_file[d.strip()] for d in deps.split(",") if d.strip()]
        for name, own, deps in pages
    }
    for name in sorted(own_files):
        files = list(own_files[name])
        # The admin pages fetch their texts and styles too (admin_config.rs).
        if name.startswith("admin_"):
            files += ["admin.json", "admin.css"]
        raw = entry_raw + sum(sizes(os.path.join(pkg, f))[0] for f in files)
        gz = entry_gz + sum(sizes(os.path.join(pkg, f))[1] for f in files)
        print(row.format(f"/{name}  ({len(files)} files)", raw, gz))
        if gz > page_budget:
            over.append(f"page {name} is {gz} bytes gzip: over the {page_budget}-byte page budget")
    if len(sys.argv) > 5:
        raw, gz = sizes(sys.argv[5])
        print()
        print(row.format("worker (" + sys.argv[5] + ")", raw, gz))
    if len(sys.argv) > 7:
        public_budget = int(sys.argv[7])
        files = [sys.argv[6]] + [
            os.path.join(dist, "partner", f) for f in ("register.css", "register.js", "register_bg.wasm")
        ]
        print()
        print(row.format("public /register (cold: html + css + js + wasm)", "raw", "gzip"))
        total_raw = total_gz = 0
        for f in files:
            raw, gz = sizes(f)
            total_raw, total_gz = total_raw + raw, total_gz + gz
            print(row.format("  " + os.path.basename(f), raw, gz))
        print(row.format("/register cold load", total_raw, total_gz))
        if total_gz > public_budget:
            over.append(f"/register is {total_gz} bytes gzip: over the {public_budget}-byte public page budget")
    if entry_gz > entry_budget:
        over.append(f"entry is {entry_gz} bytes gzip: over the {entry_budget}-byte budget")
    if over:
        sys.exit("\n".join(over))
    print(f"entry within {entry_budget} and every page within {page_budget} bytes gzip")


if __name__ == "__main__":
    main()
