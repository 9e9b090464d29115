#!/usr/bin/env bash
# Makes a SwiftPM release of the repository (macOS with Xcode): builds the XCFramework
# (build-xcframework.sh, which also generates Sources/Ivschat/Ivschat.swift), zips it as
# build/ivschatFFI.xcframework.zip and writes the zip's URL and checksum into /Package.swift.
# Then: commit Package.swift and the generated Ivschat.swift (`git add -f`, it is ignored) on the
# release tag, and upload the zip as that release's asset at the URL written.
#   release-swiftpm.sh VERSION [BASE_URL]   # BASE_URL: where release assets are downloaded from
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VERSION="${1:?usage: release-swiftpm.sh VERSION [BASE_URL]}"
BASE_URL="${2:-https://github.com/ivschat/ivschat/releases/download}"
[ "$(uname -s)" = "Darwin" ] || { echo "release-swiftpm.sh needs macOS and Xcode" >&2; exit 1; }

"$HERE/build-xcframework.sh"
ZIP="$HERE/build/ivschatFFI.xcframework.zip"
rm -f "$ZIP"
(cd "$HERE/build" && ditto -c -k --sequesterRsrc --keepParent ivschatFFI.xcframework "$ZIP")
CHECKSUM="$(swift package compute-checksum "$ZIP")"
URL="$BASE_URL/$VERSION/ivschatFFI.xcframework.zip"
sed -i '' \
  -e "s|^let releaseXCFrameworkURL = .*|let releaseXCFrameworkURL = \"$URL\"|" \
  -e "s|^let releaseXCFrameworkChecksum = .*|let releaseXCFrameworkChecksum = \"$CHECKSUM\"|" \
  "$ROOT/Package.swift"
echo "Package.swift: $URL ($CHECKSUM)"
echo "next: git add -f bindings-swift/swift/Sources/Ivschat/Ivschat.swift Package.swift; commit, tag $VERSION, upload $ZIP"
