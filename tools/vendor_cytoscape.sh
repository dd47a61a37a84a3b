#!/usr/bin/env bash
# Vendor Cytoscape.js's browser bundle into src/certgraph/export/static/cytoscape/.
#
# Installs a pinned cytoscape with npm into a temporary folder, copies only the minified UMD
# bundle (which `certgraph.export.draw.draw_html` inlines into every interactive graph page) and its
# licence, checks that the bundle references nothing on the network and holds nothing that would
# end an inline <script> element, and writes SOURCE.md (package, version, tarball URL, integrity,
# licence, date, how to update).
#
# Usage:   tools/vendor_cytoscape.sh            # the pinned version below
#          CYTOSCAPE_VERSION=3.35.0 tools/vendor_cytoscape.sh
# Needs:   node and npm, and the npm registry (only while vendoring: the drawn pages never fetch
#          anything).
set -euo pipefail

PACKAGE="cytoscape"
VERSION="${CYTOSCAPE_VERSION:-3.34.4}"

REPO="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$REPO/src/certgraph/export/static/cytoscape"
# shellcheck source=tools/npm_vendor.sh
source "$REPO/tools/npm_vendor.sh"
npm_vendor_install vendor_cytoscape "$PACKAGE" "$VERSION"
BUNDLE="$PKG_DIR/dist/cytoscape.min.js"
[ -f "$BUNDLE" ] || die "no dist/cytoscape.min.js in $PACKAGE@$VERSION"
[ "$LICENSE_ID" = "MIT" ] || die "unexpected licence $LICENSE_ID: review by hand"
[ -f "$PKG_DIR/LICENSE" ] || die "no LICENSE file in $PACKAGE@$VERSION"
# The bundle must stand alone: a runtime dependency would not be in it.
DEPS="$(node -p 'Object.keys(require(process.argv[1]).dependencies || {}).join(" ")' "$PKG_DIR/package.json")"
[ -z "$DEPS" ] || die "$PACKAGE@$VERSION has runtime dependencies ($DEPS): review by hand"

# The page inlines the bundle in a <script> element: "</script" or "<!--" inside it would end or
# confuse that element, so refuse a bundle holding either rather than patching minified code.
if grep -qiE '</script|<!--' "$BUNDLE"; then
  die "the bundle contains </script or <!--: it cannot be inlined as is"
fi
# Nothing fetched at run time: the only URLs allowed are the ones in the licence comment.
REMOTE="$(grep -oE '(https?:)?//[a-zA-Z0-9.-]+\.[a-z]{2,}[^"'"'"' )]*' "$BUNDLE" \
  | grep -vE 'wikipedia.org/wiki/MIT_License|opensource.org/licenses/MIT|engelschall.com' || true)"
[ -z "$REMOTE" ] || die "the bundle names remote URLs, review them: $REMOTE"

rm -rf "$DEST"
mkdir -p "$DEST"
# The minified bundle ships no sourceMappingURL; drop one if a later version adds it, since the
# map is not vendored and a dangling reference makes developer tools request it.
grep -v '^//# sourceMappingURL=' "$BUNDLE" > "$DEST/cytoscape.min.js"
cp "$PKG_DIR/LICENSE" "$DEST/LICENSE"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c < "$1" | tr -d ' '; }

cat > "$DEST/SOURCE.md" <<EOF
# Cytoscape.js, vendored

The graph viewer of the interactive drawings (\`certgraph.export.draw.draw_html\`), which inlines
\`cytoscape.min.js\` into every page it writes. Written by \`tools/vendor_cytoscape.sh\`; do not
edit these files by hand.

| | |
| --- | --- |
| package | \`$PACKAGE\` (Cytoscape.js, the Cytoscape Consortium) |
| version | $VERSION |
| tarball | $TARBALL |
| integrity | \`$INTEGRITY\` (checked against what npm installed) |
| licence | $LICENSE_ID: \`LICENSE\`, copied from the package (the bundle also carries it in its header) |
| runtime dependencies | none |
| vendored on | $(date -u +%Y-%m-%d) |

## Files

| file | bytes | sha256 | from |
| --- | ---: | --- | --- |
| \`cytoscape.min.js\` | $(size "$DEST/cytoscape.min.js") | \`$(sha "$DEST/cytoscape.min.js")\` | \`dist/cytoscape.min.js\` (UMD: \`window.cytoscape\`) |

Not vendored: the CommonJS and ES module builds, the sources and the TypeScript declarations.

## Offline

A drawn page must work opened from disk with no network. The script checks that the bundle names
no remote URL (only the licence links in its header comment) and contains neither \`</script\`
nor \`<!--\`, so it can be inlined in a \`<script>\` element unchanged.

## Updating

1. \`npm view $PACKAGE version\` for the latest version; read its changelog.
2. \`CYTOSCAPE_VERSION=<new> tools/vendor_cytoscape.sh\` (or change the pinned default in the script).
3. \`.venv/bin/python -m pytest tests/test_draw.py\`: the browser tests open a drawn page, check it
   requests nothing, logs no error, shows every node, and that a click and a hover fill the panel.
4. Commit \`src/certgraph/export/static/cytoscape/\` with the script change.
EOF

echo "Vendored $PACKAGE@$VERSION into ${DEST#"$REPO"/}:"
ls -l "$DEST"
