#!/bin/sh
# Refresh the vendored NL Design System stylesheets in hub/web/static/nlds/.
#
# The pages use the Utrecht component library (the NL Design System's reference CSS) with the
# NL Design System's example theme ("voorbeeld") for the design tokens. Both are EUPL-1.2; their
# licences are kept beside the files. The versions are pinned here: change them, run this script
# (it needs npm and network access to the npm registry), look at the pages, commit the result.
# Nothing of this runs at install time: the files are committed.
set -eu
UTRECHT=@utrecht/component-library-css@9.0.4
TOKENS=@nl-design-system-unstable/voorbeeld-design-tokens@7.4.1

here=$(cd "$(dirname "$0")" && pwd)
out="$here/static/nlds"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
mkdir utrecht tokens
npm pack --silent "$UTRECHT" >/dev/null
npm pack --silent "$TOKENS" >/dev/null
tar xzf utrecht-component-library-css-*.tgz -C utrecht
tar xzf nl-design-system-unstable-voorbeeld-design-tokens-*.tgz -C tokens

mkdir -p "$out"
cp utrecht/package/dist/index.css "$out/utrecht-components.css"
cp utrecht/package/dist/html.css "$out/utrecht-html.css"
cp utrecht/package/LICENSE.md "$out/LICENSE-utrecht.md"
cp tokens/package/dist/theme.css "$out/voorbeeld-theme.css"
cp tokens/package/LICENSE.md "$out/LICENSE-voorbeeld-design-tokens.md"
printf '%s\n%s\n' "$UTRECHT" "$TOKENS" >"$out/VERSIONS"
# Served compressed to browsers that accept it (aiohttp picks the .gz beside a file).
for css in "$out"/*.css; do gzip -9 -n -c "$css" >"$css.gz"; done
echo "refreshed $out:"
ls -l "$out"
