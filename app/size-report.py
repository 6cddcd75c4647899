#!/usr/bin/env python3
"""`make size`: the bytes the browser downloads, raw, gzip -9 and brotli -11
(Cloudflare serves brotli to browsers that take it; node's zlib computes it).

The entry (index.html's module script app.js, which holds the start, the
glue and the split loader; the main wasm; the css) is what every visit downloads before the first page can
run; each page's code is a lazily loaded wasm chunk (app/build-wasm.sh).
Reports the entry, then every page as entry + its own chunk + the shared
chunks it needs (read from the loader's dependency lists), and fails when
the entry or any page is over its budget (gzip; and brotli, with the
budgets in the environment: BR_ENTRY_BUDGET, BR_PAGE_BUDGET).

The hot pages (HOT_PAGES, comma separated: the ones whose shared chunks
app/build-wasm.sh coarsens) have budgets of their own: HOT_PAGE_BUDGET and
BR_HOT_PAGE_BUDGET in bytes, and HOT_MODULE_BUDGET, the wasm modules each
loads after the entry (its own chunk and the shared ones), since every
module is a fetch and an instantiation before the page paints.

usage: size-report.py DIST LOADER ENTRY_BUDGET PAGE_BUDGET [WORKER_WASM
                      [PUBLIC_HTML PUBLIC_BUDGET]]

PUBLIC_HTML is the partners' /register page as the Worker renders it
(tests/src/bin/publicpage.rs); its cold load is that HTML plus what it links
in DIST/partner/ (css, the script and its wasm), within PUBLIC_BUDGET.

A page's parts (PAGE_PARTS, comma separated page:part pairs, e.g.
opportunity:deal_side) are split functions the page loads after it paints:
each is reported as the bytes and modules it adds to its page, within
PART_BUDGET (gzip) and BR_PART_BUDGET (brotli).

LOADER is the unminified chunk loader the build leaves beside its work
(target/wasm-split/__wasm_split.js): the shipped one is minified.
"""
import glob
import gzip
import os
import re
import subprocess
import sys

BROTLI = r"""
const zlib = require("zlib"), fs = require("fs");
for (const f of process.argv.slice(1)) {
  const out = zlib.brotliCompressSync(fs.readFileSync(f), {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 },
  });
  console.log(out.length);
}
"""
_sizes = {}


def sizes(path):
    """(raw, gzip, brotli) bytes of a file."""
    if path not in _sizes:
        data = open(path, "rb").read()
        br = int(subprocess.run(["node", "-e", BROTLI, path], check=True,
                                capture_output=True, text=True).stdout)
        _sizes[path] = (len(data), len(gzip.compress(data, compresslevel=9, mtime=0)), br)
    return _sizes[path]


def main():
    dist, loader_path = sys.argv[1], sys.argv[2]
    entry_budget, page_budget = int(sys.argv[3]), int(sys.argv[4])
    pkgs = glob.glob(os.path.join(dist, "pkg-*"))
    if len(pkgs) != 1:
        sys.exit(f"expected one {dist}/pkg-*/ folder, found {len(pkgs)}: run the build")
    pkg = pkgs[0]
    loader = open(loader_path).read()

    row = "{:<52} {:>10} {:>10} {:>10}"
    br_entry_budget = int(os.environ.get("BR_ENTRY_BUDGET", "0")) or None
    br_page_budget = int(os.environ.get("BR_PAGE_BUDGET", "0")) or None
    hot_pages = [p for p in os.environ.get("HOT_PAGES", "").split(",") if p]
    hot_budget = int(os.environ.get("HOT_PAGE_BUDGET", "0")) or page_budget
    br_hot_budget = int(os.environ.get("BR_HOT_PAGE_BUDGET", "0")) or br_page_budget
    hot_modules = int(os.environ.get("HOT_MODULE_BUDGET", "0")) or None
    print(row.format("file", "raw", "gzip", "brotli"))
    # app.js: the start, the glue and the chunk loader in one module.
    entry = [os.path.join(pkg, f) for f in ("app_bg.wasm", "app.js")]
    entry += sorted(glob.glob(os.path.join(dist, "*.css")))
    entry_raw = entry_gz = entry_br = 0
    for f in entry:
        raw, gz, br = sizes(f)
        entry_raw, entry_gz, entry_br = entry_raw + raw, entry_gz + gz, entry_br + br
        print(row.format(os.path.relpath(f, dist), raw, gz, br))
    print(row.format("entry (first load before any page)", entry_raw, entry_gz, entry_br))

    # `const __chunk_N = makeLoad(... "./chunk_N.wasm" ..., [deps])`, and a
    # split module's `export const __wasm_split_load_<name>_<hash> = ...
    # [deps]`: a page's name is `__<page>[_page]_view`, a split function's
    # (a page's part, e.g. `deal_side`) its own.
    chunk_file = dict(re.findall(r'const (__chunk_\d+) = makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\./([^"]+)"', loader))
    page_files, part_files = {}, {}
    for name, own, deps in re.findall(
            r'export const __wasm_split_load_(\w+?)_\d+ = wrapAsyncCb\(makeLoad\(\(\) => \{\s*'
            r'const src = fetch\(new URL\("\./([^"]+)".*?\n, \[([^\]]*)\]\)\);',
            loader, re.S):
        files = [own] + [chunk_file[d.strip()] for d in deps.split(",") if d.strip()]
        page = re.fullmatch(r"__(\w+?)(?:_page)?_view", name)
        if page:
            page_files[page.group(1)] = files
        else:
            part_files[name] = files
    if not page_files:
        sys.exit("no lazily loaded pages found in __wasm_split.js")
    over = []
    print()
    print(row.format("page (entry + its chunks)", "raw", "gzip", "brotli"))
    parts = [tuple(p.split(":", 1)) for p in os.environ.get("PAGE_PARTS", "").split(",") if p]
    part_budget = int(os.environ.get("PART_BUDGET", "0")) or None
    br_part_budget = int(os.environ.get("BR_PART_BUDGET", "0")) or None
    for name in sorted(page_files):
        files = list(page_files[name])
        # The admin pages fetch their texts and styles too (admin_config.rs).
        if name.startswith("admin_"):
            files += ["admin.json", "admin.css"]
        raw = entry_raw + sum(sizes(os.path.join(pkg, f))[0] for f in files)
        gz = entry_gz + sum(sizes(os.path.join(pkg, f))[1] for f in files)
        br = entry_br + sum(sizes(os.path.join(pkg, f))[2] for f in files)
        hot = name in hot_pages
        modules = sum(f.endswith(".wasm") for f in files)
        print(row.format(f"/{name}  ({modules} modules{', hot' if hot else ''})", raw, gz, br))
        gz_budget, br_budget = (hot_budget, br_hot_budget) if hot else (page_budget, br_page_budget)
        kind = "hot page" if hot else "page"
        if gz > gz_budget:
            over.append(f"page {name} is {gz} bytes gzip: over the {gz_budget}-byte {kind} budget")
        if br_budget and br > br_budget:
            over.append(f"page {name} is {br} bytes brotli: over the {br_budget}-byte {kind} budget")
        if hot and hot_modules and modules > hot_modules:
            over.append(f"page {name} loads {modules} wasm modules: over the hot pages' {hot_modules}")
    for page, part in parts:
        if page not in page_files or part not in part_files:
            over.append(f"PAGE_PARTS: no page {page!r} or no split function {part!r}")
            continue
        added = [f for f in part_files[part] if f not in page_files[page]]
        raw, gz, br = (sum(sizes(os.path.join(pkg, f))[i] for f in added) for i in range(3))
        print(row.format(f"  + {part}, after /{page} paints ({len(added)} modules)", raw, gz, br))
        if part_budget and gz > part_budget:
            over.append(f"part {part} adds {gz} bytes gzip: over the {part_budget}-byte part budget")
        if br_part_budget and br > br_part_budget:
            over.append(f"part {part} adds {br} bytes brotli: over the {br_part_budget}-byte part budget")
    if len(sys.argv) > 5:
        raw, gz, br = sizes(sys.argv[5])
        print()
        print(row.format("worker (" + sys.argv[5] + ")", raw, gz, br))
    if len(sys.argv) > 7:
        public_budget = int(sys.argv[7])
        files = [sys.argv[6]] + [
            os.path.join(dist, "partner", f) for f in ("register.css", "register.js", "register_bg.wasm")
        ]
        print()
        print(row.format("public /register (cold: html + css + js + wasm)", "raw", "gzip", "brotli"))
        total_raw = total_gz = total_br = 0
        for f in files:
            raw, gz, br = sizes(f)
            total_raw, total_gz, total_br = total_raw + raw, total_gz + gz, total_br + br
            print(row.format("  " + os.path.basename(f), raw, gz, br))
        print(row.format("/register cold load", total_raw, total_gz, total_br))
        if total_gz > public_budget:
            over.append(f"/register is {total_gz} bytes gzip: over the {public_budget}-byte public page budget")
    if entry_gz > entry_budget:
        over.append(f"entry is {entry_gz} bytes gzip: over the {entry_budget}-byte budget")
    if br_entry_budget and entry_br > br_entry_budget:
        over.append(f"entry is {entry_br} bytes brotli: over the {br_entry_budget}-byte budget")
    missing = sorted(set(hot_pages) - set(page_files))
    if missing:
        over.append(f"HOT_PAGES names no page: {', '.join(missing)}")
    if over:
        sys.exit("\n".join(over))
    print(f"entry within {entry_budget} and every page within {page_budget} bytes gzip")
    if br_entry_budget and br_page_budget:
        print(f"entry within {br_entry_budget} and every page within {br_page_budget} bytes brotli")
    if parts and part_budget:
        print(f"parts within {part_budget} bytes gzip, {br_part_budget} brotli")
    if hot_pages:
        print(f"hot pages ({', '.join(hot_pages)}) within {hot_budget} bytes gzip, "
              f"{br_hot_budget} brotli, {hot_modules} wasm modules")


if __name__ == "__main__":
    main()
