#!/usr/bin/env bash
# Vendor the web apps' front-end libraries (dashboard, post console) from the npm registry into
# the package, so that the
# web app needs no CDN and works offline. Versions are pinned in scripts/package.json and locked
# in scripts/package-lock.json; `npm ci` installs exactly those (integrity-checked) into a
# temporary directory, and only the built files and their licences are copied into
# src/corridor/web/static/vendor/. Run from anywhere: `make vendor` or `bash scripts/vendor-assets.sh`.
# To upgrade: edit the versions in scripts/package.json, run `npm install --package-lock-only`
# in scripts/, then this script, and commit the three together.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
vendor="$root/src/corridor/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$here/package.json" "$work/"
if [[ -f "$here/package-lock.json" ]]; then
    cp "$here/package-lock.json" "$work/"
    (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
else
    (cd "$work" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
    cp "$work/package-lock.json" "$here/package-lock.json"
fi

modules="$work/node_modules"
rm -rf "$vendor/leaflet" "$vendor/chartjs" "$vendor/jsqr" "$vendor/leaflet-draw" "$vendor/fonts"
mkdir -p "$vendor/leaflet/images" "$vendor/chartjs" "$vendor/jsqr" "$vendor/leaflet-draw/images" \
    "$vendor/fonts"

cp "$modules/leaflet/dist/leaflet.js" "$modules/leaflet/dist/leaflet.css" "$vendor/leaflet/"
cp "$modules/leaflet/dist/images/"*.png "$vendor/leaflet/images/"
cp "$modules/leaflet/LICENSE" "$vendor/leaflet/LICENSE"

cp "$modules/chart.js/dist/chart.umd.js" "$vendor/chartjs/"
cp "$modules/chart.js/LICENSE.md" "$vendor/chartjs/LICENSE.md"

# The post console reads permit QR codes from the camera with jsQR (UMD build, no dependencies).
cp "$modules/jsqr/dist/jsQR.js" "$vendor/jsqr/"
cp "$modules/jsqr/LICENSE" "$vendor/jsqr/LICENSE"

# The coordinator draws crews' zones with Leaflet.draw.
cp "$modules/leaflet-draw/dist/leaflet.draw.js" "$modules/leaflet-draw/dist/leaflet.draw.css" \
    "$vendor/leaflet-draw/"
cp "$modules/leaflet-draw/dist/images/"*.png "$vendor/leaflet-draw/images/"
# The npm package ships no licence file: its package.json says MIT, and the source's header names
# the copyright holders, so both are recorded beside the copy.
{
    echo "Leaflet.draw is released under the MIT licence (package.json of the npm package):"
    echo "https://github.com/Leaflet/Leaflet.draw/blob/master/MIT-LICENSE.md"
    echo
    head -n 7 "$modules/leaflet-draw/dist/leaflet.draw-src.js"
} > "$vendor/leaflet-draw/LICENSE"

# Bulletins and their PDFs use DejaVu Sans: it covers Latin (Azerbaijani's letters included),
# Cyrillic and Armenian in one family, so a page mixing the posts' two names never falls back.
for face in DejaVuSans DejaVuSans-Bold; do
    cp "$modules/dejavu-fonts-ttf/ttf/$face.ttf" "$vendor/fonts/"
done
cp "$modules/dejavu-fonts-ttf/LICENSE" "$vendor/fonts/LICENSE"

# axe-core runs only in the accessibility tests, so it lives with them, not in the package.
tests_vendor="$root/tests/vendor/axe-core"
rm -rf "$tests_vendor"
mkdir -p "$tests_vendor"
cp "$modules/axe-core/axe.min.js" "$modules/axe-core/LICENSE" "$tests_vendor/"

# Record what was vendored, so a reviewer can check it against the registry.
{
    echo "Vendored by scripts/vendor-assets.sh from the npm registry; do not edit by hand."
    for pkg in leaflet chart.js jsqr leaflet-draw dejavu-fonts-ttf axe-core; do
        node -e "const p=require('$modules/$pkg/package.json');console.log(p.name+' '+p.version+' ('+p.license+')')"
    done
} > "$vendor/VERSIONS.txt"

echo "vendored into $vendor:"
cat "$vendor/VERSIONS.txt"
