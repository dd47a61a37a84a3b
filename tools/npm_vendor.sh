# Shared by the tools/vendor_*.sh scripts (source it; do not run it): install one pinned npm
# package into a temporary folder and check it against the registry's record.
#
#   npm_vendor_install NAME PACKAGE VERSION
#
# sets WORK (removed on exit; the current folder afterwards, holding package-lock.json), PKG_DIR,
# TARBALL, INTEGRITY (checked equal to what npm installed) and LICENSE_ID (the package.json
# licence); `die MESSAGE` stops the script, naming NAME.

npm_vendor_install() {
  VENDOR_NAME="$1"
  local package="$2" version="$3" installed
  command -v npm >/dev/null || die "npm is required"
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  echo "Installing $package@$version into $WORK"
  cd "$WORK"
  echo '{"private": true}' > package.json
  # --ignore-scripts: bundles are prebuilt; no install script of any dependency needs to run.
  npm install --silent --no-audit --no-fund --ignore-scripts --omit=dev --save-exact \
    "$package@$version" >/dev/null
  PKG_DIR="$WORK/node_modules/$package"
  # The registry's record of the tarball, cross-checked against what npm installed.
  TARBALL="$(npm view "$package@$version" dist.tarball)"
  INTEGRITY="$(npm view "$package@$version" dist.integrity)"
  installed="$(node -e '
    const lock = require("./package-lock.json");
    process.stdout.write(lock.packages["node_modules/" + process.argv[1]].integrity);
  ' "$package")"
  [ "$INTEGRITY" = "$installed" ] || die "integrity mismatch: registry $INTEGRITY, installed $installed"
  LICENSE_ID="$(node -p 'require(process.argv[1]).license' "$PKG_DIR/package.json")"
}

die() { echo "${VENDOR_NAME:-vendor}: $*" >&2; exit 1; }
