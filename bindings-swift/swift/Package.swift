// swift-tools-version:5.9
// The ivschat Swift package: the UniFFI-generated `Ivschat` module over the Rust library.
//
// Two ways to get the native library:
//  * `build/ivschatFFI.xcframework` (made by build-xcframework.sh on macOS): a binaryTarget, for apps.
//  * otherwise a system library linked from IVSCHAT_LIB_DIR (default ../../target/debug), for
//    `swift test` on a development machine (test.sh builds it and generates the sources first).
import Foundation
import PackageDescription

let packageDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let xcframework = "build/ivschatFFI.xcframework"
let useXCFramework = FileManager.default.fileExists(atPath: "\(packageDir)/\(xcframework)")
let libDir = ProcessInfo.processInfo.environment["IVSCHAT_LIB_DIR"] ?? "\(packageDir)/../../target/debug"

let ffiTarget: Target = useXCFramework
    ? .binaryTarget(name: "ivschatFFI", path: xcframework)
    : .systemLibrary(name: "ivschatFFI", path: "Sources/ivschatFFI")

let package = Package(
    name: "Ivschat",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "Ivschat", targets: ["Ivschat"]),
    ],
    targets: [
        ffiTarget,
        .target(
            name: "Ivschat",
            dependencies: ["ivschatFFI"],
            path: "Sources/Ivschat",
            linkerSettings: useXCFramework ? [] : [
                .unsafeFlags(["-L", libDir, "-Xlinker", "-rpath", "-Xlinker", libDir]),
            ]
        ),
        .testTarget(name: "IvschatTests", dependencies: ["Ivschat"], path: "Tests/IvschatTests"),
    ]
)
