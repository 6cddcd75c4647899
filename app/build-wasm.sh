#!/usr/bin/env bash
# Trunk post-build hook: builds the app's wasm split into lazily loaded
# chunks, one per page (`#[lazy_route]`), so the first load carries only the
# shell, the router and the shared client code.
#
#   cargo (linked with --emit-relocs) -> wasm-split-cli -> wasm-bindgen
#   -> wasm-opt -Oz on every module -> $TRUNK_STAGING_DIR/pkg-<hash>/
#
# Trunk 0.21 has no split step of its own (trunk-rs/trunk#1022) and must not
# run wasm-bindgen before the split (it drops the relocations the split
# needs), so index.html has no `rel="rust"` link; this hook does the Rust part
# and points index.html's `__PKG__` placeholders at the content-hashed folder.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
staging=${TRUNK_STAGING_DIR:?run by trunk (a post_build hook)}
profile=${TRUNK_PROFILE:-release}
target_dir=${CARGO_TARGET_DIR:-$root/target}

# The pinned tools (the Makefile installs them): wasm-bindgen must match the
# wasm-bindgen crate in Cargo.lock, and wasm-opt must be binaryen 132 from
# npm (Debian's wasm-opt 108 silently breaks the app).
bindgen=${WASM_BINDGEN_BIN:-wasm-bindgen}
wasm_opt=${WASM_OPT_BIN:-$root/node_modules/binaryen/bin/wasm-opt}
esbuild=${ESBUILD_BIN:-$root/node_modules/.bin/esbuild}
want=$(grep -A1 '^name = "wasm-bindgen"$' "$root/Cargo.lock" | sed -n 's/^version = "\(.*\)"$/\1/p')
have=$("$bindgen" --version | cut -d' ' -f2)
[ "$have" = "$want" ] || { echo "wasm-bindgen $have found, $want needed (make tools)" >&2; exit 1; }

flags=(--locked -p dealgate-app --bin dealgate-app --target wasm32-unknown-unknown)
app_target=$target_dir
if [ "$profile" = release ]; then
  # The release wasm carries its own build of the standard library, from
  # the pinned toolchain's rust-src (rust-toolchain.toml), built for size:
  # core's and alloc's `optimize_for_size` code, panics that trap on the
  # spot (`-Cpanic=immediate-abort`: no message formatting, no unwinding
  # machinery), no file and line strings for panics and no `{:?}` output
  # (Debug formatting is never user-visible in the app). Measured with
  # `make size` (#14): the entry 175.3 -> 154.1 KB gzip, the deal page
  # 359.2 -> 330.6. These are unstable options of this exact compiler
  # (RUSTC_BOOTSTRAP); the toolchain is pinned, so they cannot change under
  # us. It has its own target directory, so the other wasm32 builds of the
  # workspace (clippy, the partners' page, the Worker) keep their cache.
  app_target=$target_dir/app-std
  # (`--config` adds these to .cargo/config.toml's wasm32 rustflags.)
  flags+=(--release --target-dir "$app_target"
          -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size
          --config 'target.wasm32-unknown-unknown.rustflags = ["-Zunstable-options",
            "-Cpanic=immediate-abort", "-Zlocation-detail=none", "-Zfmt-debug=none"]')
  export RUSTC_BOOTSTRAP=1
fi
# The link argument applies to the final binary only.
cargo rustc "${flags[@]}" -- -C link-arg=--emit-relocs
unset RUSTC_BOOTSTRAP

work=$target_dir/wasm-split
rm -rf "$work" && mkdir -p "$work/out"
# A function several pages need goes into a shared chunk named by exactly
# the pages that need it: ten pages made 162 chunks, and the deal list
# loaded 64 modules, the deal page 110, each fetched and instantiated
# (~2 ms apiece on a warm load, most of the time before the rows painted).
# The vendored wasm-split-cli's --coarsen options (tools/wasm-split-cli)
# give a chunk one of the hot pages needs to the whole group of each other
# page that needs it: the list, the deal page and the board load 11-13
# modules and fewer bytes; the leads and admin pages, which share the most
# with them, load more bytes in fewer modules (README, "Performance").
# The deal page's side panel (`deal_side`, a split function the page loads
# after its checklist) is grouped with the page, so it adds its own code and
# no new sets to the hot pages' chunks.
wasm-split-cli "$app_target/wasm32-unknown-unknown/$profile/dealgate-app.wasm" "$work" --out-name app \
  --coarsen-hot opportunities_page,opportunity_page,board_page \
  --coarsen-group opportunity_page,deal_side \
  --coarsen-group leads_page,lead_page,admin_users_page,admin_grading_page,admin_config_page \
  --coarsen-group login_page,about_page
"$bindgen" --target web --keep-lld-exports --no-demangle --no-typescript \
  --out-name app --out-dir "$work/out" "$work/app.wasm"
find "$work" -maxdepth 1 -name '*.wasm' ! -name app.wasm -exec cp {} "$work/out/" \;
cp "$work/__wasm_split.js" "$work/out/"
# The admin pages' texts (app/src/i18n.rs, `AdminMsg`): fetched by those
# pages only, so none of them is in the wasm every visit downloads.
cp "$root/app/texts/admin.json" "$work/out/admin.json"
# Their stylesheet too (minified below).
cp "$root/app/admin.css" "$work/out/admin.css"

if [ "$profile" = release ]; then
  # Same flags for the main module and every chunk (they share one memory
  # and one function table); two at a time on this 2-core machine. The
  # producers and target-features sections are for tools, not browsers:
  # ~200 bytes gzip a module, and a page loads dozens of modules.
  # Rust puts the stack below 1 MiB and the data above it, so the low 1 KiB
  # of memory is never used (--low-memory-unused lets constant offsets
  # fold). The main module is smaller with -Os, the chunks with -Oz
  # (measured): the size level changes no import, export or table slot.
  flags=(--low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int
         --strip-producers --strip-target-features)
  # wasm-streams' JS stream classes (`IntoUnderlying{Source,ByteSource,Sink}`,
  # from server_fn, which Leptos always pulls in) are `#[wasm_bindgen]`
  # exports, so no optimizer drops them; this app has no server functions
  # and its JS never makes one. Removed from the main module with what only
  # they reach: 1.4 KB gzip off every page's entry (measured).
  "$wasm_opt" --remove-exports --pass-arg=remove-exports@'*intounderlying*' \
    -Os "${flags[@]}" "$work/out/app_bg.wasm" -o "$work/out/app_bg.wasm" \
    2> >(grep -v 'unknown name subsection' >&2) &
  find "$work/out" -name '*.wasm' ! -name app_bg.wasm -print0 |
    xargs -0 -P 1 -I{} "$wasm_opt" -Oz "${flags[@]}" {} -o {} \
      2> >(grep -v 'unknown name subsection' >&2)
  wait
fi

# Minified JS (esbuild from npm): wasm-bindgen's glue (its import object
# names the split loader once per import, which is harmless) and the chunk
# loader (`make size` reads each page's chunks from the unminified one that
# stays in $work).
# The loader repeats one fetch-and-instantiate template per chunk (a
# hundred of them): one helper instead, before minifying.
python3 - "$work/out/__wasm_split.js" <<'PY'
import re, sys
path = sys.argv[1]
js = open(path).read()
template = re.compile(
    r'makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("(\./[^"]+)", import\.meta\.url\)\);\s*'
    r'src\.catch\(\(\) => \{\}\);\s*return async \(imports\) => \(WebAssembly\.instantiateStreaming\(src, imports\)\);\s*\}\s*,'
)
js, n = template.subn(lambda m: f'fetchLoad("{m.group(1)}",', js)
if n == 0:
    sys.exit("__wasm_split.js: the chunk template changed; update app/build-wasm.sh")
js = js.replace(
    "function makeLoad(",
    "function fetchLoad(path, deps) {\n"
    "    return makeLoad(() => {\n"
    "        const src = fetch(new URL(path, import.meta.url));\n"
    "        src.catch(() => {});\n"
    "        return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n"
    "    }, deps);\n"
    "}\n"
    "function makeLoad(",
    1,
)
open(path, "w").write(js)
PY
"$esbuild" "$work/out/admin.css" --minify --log-level=warning --outfile="$work/out/admin.css" --allow-overwrite
# The app's start (no inline script: CSP), the glue and the chunk loader as
# one module, `app.js`: three files were three responses and a chain of
# imports before the wasm could start (each ~300 B of headers, and the
# loader gzipped alone; the list's first load is 0.8 KB smaller, measured).
echo 'import init from "./app.js"; init({ module_or_path: new URL("app_bg.wasm", import.meta.url) });' \
  > "$work/out/boot.js"
"$esbuild" "$work/out/boot.js" --bundle --minify --format=esm --log-level=warning \
  --log-override:duplicate-object-key=silent --outfile="$work/app.bundle.js"
rm "$work/out/boot.js" "$work/out/__wasm_split.js"
mv "$work/app.bundle.js" "$work/out/app.js"

# The partners' public pages (server/src/pages.rs renders them): their own
# small wasm from partner/ (shared's form rules, no Leptos), never the app's.
# Fixed names in dist/partner/, which the Worker's HTML names; browsers
# revalidate them (they are not in a content-hashed folder).
pflags=(--locked -p dealgate-partner --lib --target wasm32-unknown-unknown)
[ "$profile" = release ] && pflags+=(--release)
cargo build "${pflags[@]}"
pwork=$target_dir/partner-web
rm -rf "$pwork" && mkdir -p "$pwork" "$staging/partner"
"$bindgen" --target web --no-typescript --out-name register --out-dir "$pwork" \
  "$target_dir/wasm32-unknown-unknown/$profile/dealgate_partner.wasm"
if [ "$profile" = release ]; then
  "$wasm_opt" -Oz --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int \
    --strip-producers --strip-target-features "$pwork/register_bg.wasm" -o "$pwork/register_bg.wasm" \
    2> >(grep -v 'unknown name subsection' >&2)
fi
# One module: the glue and the call that starts it (no inline script: CSP).
echo 'import init from "./register.js"; init();' > "$pwork/boot.js"
"$esbuild" "$pwork/boot.js" --bundle --minify --format=esm --log-level=warning \
  --outfile="$staging/partner/register.js"
cp "$pwork/register_bg.wasm" "$staging/partner/register_bg.wasm"
"$esbuild" "$root/partner/register.css" --minify --log-level=warning --outfile="$staging/partner/register.css"

hash=$(cd "$work/out" && cat $(ls | sort) | sha256sum | cut -c1-16)
pkg=pkg-$hash
rm -rf "$staging"/pkg-*
cp -r "$work/out" "$staging/$pkg"
sed -i "s|__PKG__|$pkg|g" "$staging/index.html"
echo "app wasm: $pkg ($(ls "$staging/$pkg" | grep -c '\.wasm$') wasm modules)"
