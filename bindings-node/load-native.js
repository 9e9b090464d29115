'use strict'
// The addon for this platform (napi-rs's loader, native.js), or an error that names the platform
// and says how to build the addon from source.

function platformName() {
  let name = `${process.platform}-${process.arch}`
  if (process.platform === 'linux') {
    const report = process.report && typeof process.report.getReport === 'function' ? process.report.getReport() : null
    name += report && report.header && report.header.glibcVersionRuntime ? '-gnu' : '-musl'
  }
  return name
}

function load() {
  try {
    return require('./native.js')
  } catch (cause) {
    const platform = platformName()
    const prebuilt = Object.keys(require('./package.json').optionalDependencies || {})
      .map((dep) => dep.replace(/^ivschat-/, ''))
    const error = new Error(
      `ivschat: no native addon loaded for ${platform} (Node ${process.version}). ` +
        `The prebuilt ones are ${prebuilt.length ? prebuilt.join(', ') : 'none in this copy'}, ` +
        `each in the package ivschat-<platform> that npm installs as an optional dependency; ` +
        `ivschat-${platform} is not installed or did not load (see the cause). ` +
        'To build it from source (Rust 1.85 or newer): in the ivschat repository, ' +
        '`cd bindings-node && npm ci && npx napi build --platform --release --js native.js --dts native.d.ts`, ' +
        'then `npm install <path to bindings-node>` in your project ' +
        '(or point NAPI_RS_NATIVE_LIBRARY_PATH at the built ivschat.*.node file).',
    )
    error.code = 'IVSCHAT_NO_NATIVE_ADDON'
    error.cause = cause
    throw error
  }
}

module.exports = load()
