#!/usr/bin/env bash
# Vendor the YASGUI SPARQL editor's browser bundle into src/certgraph/web/static/yasgui/.
#
# Installs a pinned @zazuko/yasgui (the maintained fork of Triply's YASGUI) with npm into a
# temporary folder, copies only what the editor page loads (the minified JS and CSS) plus the
# licence texts, checks that nothing in them fetches fonts, images or styles from the network,
# and writes SOURCE.md (package, version, tarball URL, integrity, licence, date, how to update).
#
# Usage:   tools/vendor_yasgui.sh            # the pinned version below
#          YASGUI_VERSION=4.7.0 tools/vendor_yasgui.sh
# Needs:   node and npm, and the npm registry (only while vendoring: the page itself never
#          fetches anything from outside the server that serves it).
set -euo pipefail

PACKAGE="@zazuko/yasgui"
VERSION="${YASGUI_VERSION:-4.6.2}"

REPO="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$REPO/src/certgraph/web/static/yasgui"
# shellcheck source=tools/npm_vendor.sh
source "$REPO/tools/npm_vendor.sh"
npm_vendor_install vendor_yasgui "$PACKAGE" "$VERSION"
[ -f "$PKG_DIR/build/yasgui.min.js" ] || die "no build/yasgui.min.js in $PACKAGE@$VERSION"

rm -rf "$DEST"
mkdir -p "$DEST"

# Only what the page loads. The trailing sourceMappingURL comment is dropped: the .map files
# (3.6 MB each) are not vendored, and a dangling reference makes developer tools request them.
for file in yasgui.min.js yasgui.min.css; do
  grep -v '^//# sourceMappingURL=\|^/\*# sourceMappingURL=' "$PKG_DIR/build/$file" > "$DEST/$file"
done

# No remote fonts, images or style sheets: drop @import rules and @font-face blocks that name a
# remote URL, and turn any other remote url(...) into "none". Reported in SOURCE.md.
CSS_PATCHES="$(node -e '
  const fs = require("fs");
  const path = process.argv[1];
  let css = fs.readFileSync(path, "utf8");
  const remote = String.raw`(?:https?:)?//`;
  const rules = [
    ["@import rule", new RegExp(String.raw`@import\s+(?:url\()?["\x27]?` + remote + String.raw`[^;]*;`, "g"), ""],
    ["@font-face block", new RegExp(String.raw`@font-face\s*\{[^}]*` + remote + String.raw`[^}]*\}`, "g"), ""],
    ["url() reference", new RegExp(String.raw`url\(\s*["\x27]?` + remote + String.raw`[^)]*\)`, "g"), "none"],
  ];
  const done = [];
  for (const [what, pattern, replacement] of rules) {
    const found = css.match(pattern) || [];
    if (found.length) done.push(`${found.length} remote ${what}(s) removed`);
    css = css.replace(pattern, replacement);
  }
  fs.writeFileSync(path, css);
  process.stdout.write(done.join("; ") || "none needed: the CSS references no remote font, image or style sheet");
' "$DEST/yasgui.min.css")"
if grep -Eq 'url\(\s*["'"'"']?(https?:)?//' "$DEST/yasgui.min.css"; then
  die "remote url() left in yasgui.min.css"
fi

# Remote services the JS can call on its own; editor.js must keep them switched off.
JS_REMOTE="none found"
if grep -q 'lov.linkeddata.es' "$DEST/yasgui.min.js"; then
  JS_REMOTE="the \"class\" and \"property\" autocompleters query lov.linkeddata.es: editor.js disables them"
fi

# The package ships no LICENSE file (4.6.2 has none): write the licence its package.json
# declares, naming the authors it names. A LICENSE shipped by a later version wins.
LICENSE_NOTE="copied from the package"
SHIPPED_LICENSE="$(find "$PKG_DIR" -maxdepth 1 -iname 'licen[cs]e*' | head -n 1)"
if [ -n "$SHIPPED_LICENSE" ]; then
  cp "$SHIPPED_LICENSE" "$DEST/LICENSE"
elif [ "$LICENSE_ID" = "MIT" ]; then
  LICENSE_NOTE="the package ships no licence file; written from its package.json (\"license\": \"MIT\", author Triply, contributor Zazuko GmbH)"
  cat > "$DEST/LICENSE" <<'EOF'
The MIT License (MIT)

Copyright (c) Triply <info@triply.cc> and Zazuko GmbH, the author and contributor named in
the package.json of @zazuko/yasgui (YASGUI, https://github.com/rdfjs/Yasgui).

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
EOF
else
  die "no licence file and an unexpected licence ($LICENSE_ID): review by hand"
fi

# The bundle inlines its dependencies (CodeMirror, jQuery, DataTables, lodash, ...): keep their
# notices. Every package of the installed dependency tree is listed, a superset of what is inlined.
node -e '
  const fs = require("fs");
  const path = require("path");
  const lock = require("./package-lock.json");
  const out = [
    "Third-party components inlined in yasgui.min.js and yasgui.min.css",
    "",
    "The YASGUI bundle is prebuilt upstream from these packages (the production dependency",
    "tree of " + process.argv[1] + "; versions as npm resolved them when vendoring).",
    "",
  ];
  const names = Object.keys(lock.packages).filter((k) => k.startsWith("node_modules/")).sort();
  for (const key of names) {
    const dir = path.join(process.cwd(), key);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    if (meta.name.startsWith("@zazuko/")) continue;
    out.push("=".repeat(78), `${meta.name}@${meta.version} (${meta.license || "see text"})`, "");
    const file = fs.readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    out.push(file ? fs.readFileSync(path.join(dir, file), "utf8").trim() : "(no licence file shipped)", "");
  }
  fs.writeFileSync(process.argv[2], out.join("\n"));
' "$PACKAGE" "$DEST/THIRD-PARTY-NOTICES.txt"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c < "$1" | tr -d ' '; }

cat > "$DEST/SOURCE.md" <<EOF
# YASGUI, vendored

The SPARQL query editor served at \`/\` (see \`certgraph/web/editor.py\`). Written by
\`tools/vendor_yasgui.sh\`; do not edit these files by hand.

| | |
| --- | --- |
| package | \`$PACKAGE\` (the maintained fork of Triply's \`@triply/yasgui\`) |
| version | $VERSION |
| tarball | $TARBALL |
| integrity | \`$INTEGRITY\` (checked against what npm installed) |
| licence | $LICENSE_ID: \`LICENSE\` ($LICENSE_NOTE); inlined dependencies in \`THIRD-PARTY-NOTICES.txt\` |
| vendored on | $(date -u +%Y-%m-%d) |

## Files

| file | bytes | sha256 | from |
| --- | ---: | --- | --- |
| \`yasgui.min.js\` | $(size "$DEST/yasgui.min.js") | \`$(sha "$DEST/yasgui.min.js")\` | \`build/yasgui.min.js\`, its sourceMappingURL comment removed |
| \`yasgui.min.css\` | $(size "$DEST/yasgui.min.css") | \`$(sha "$DEST/yasgui.min.css")\` | \`build/yasgui.min.css\` (includes YASQE's and YASR's styles) |

Not vendored: the ES module build, the TypeScript declarations and the source maps; the page
loads only the UMD bundle (\`window.Yasgui\`, with \`Yasgui.Yasqe\` and \`Yasgui.Yasr\`).

## Offline

The page must work with no network but its own server.

- CSS: $CSS_PATCHES. Icons are inline SVG in the JS.
- JS remote services: $JS_REMOTE. The prefix autocompleter uses the list bundled in the JS
  (\`prefixCcApi\` stays unset), and the endpoint catalogue lists only certgraph's endpoint.

## Updating

1. \`npm view $PACKAGE version\` for the latest version; read its changelog.
2. \`YASGUI_VERSION=<new> tools/vendor_yasgui.sh\` (or change the pinned default in the script).
3. \`.venv/bin/python -m pytest tests/test_editor.py\`: the browser tests check that the page
   loads, runs a query, opens share links and requests nothing from outside.
4. Commit \`src/certgraph/web/static/yasgui/\` with the script change.
EOF

echo "Vendored $PACKAGE@$VERSION into ${DEST#"$REPO"/}:"
ls -l "$DEST"
