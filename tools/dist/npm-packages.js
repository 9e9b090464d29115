'use strict'
// Stages the npm packages of a release: the main `ivschat` package (JavaScript, types, napi-rs's
// loader, no addon) with an optional dependency on each platform package built, and those
// platform packages (bindings-node/npm/<platform>/ plus the addon), as napi-rs projects publish.
//   node npm-packages.js BINDINGS_NODE_DIR BUILD_DIR STAGE_DIR
// BUILD_DIR holds napi build's output: native.js, native.d.ts, ivschat.<platform>.node.
const fs = require('node:fs')
const path = require('node:path')

const [bindingsDir, buildDir, stageDir] = process.argv.slice(2)
if (!stageDir) throw new Error('usage: npm-packages.js BINDINGS_NODE_DIR BUILD_DIR STAGE_DIR')
const main = JSON.parse(fs.readFileSync(path.join(bindingsDir, 'package.json'), 'utf8'))

const addons = fs.readdirSync(buildDir).filter((f) => /^ivschat\..+\.node$/.test(f))
if (addons.length === 0) throw new Error(`no ivschat.<platform>.node in ${buildDir}`)

fs.rmSync(stageDir, { recursive: true, force: true })
const optionalDependencies = {}
for (const addon of addons) {
  const platform = addon.slice('ivschat.'.length, -'.node'.length)
  const src = path.join(bindingsDir, 'npm', platform)
  const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'))
  if (pkg.version !== main.version) throw new Error(`${pkg.name} is ${pkg.version}, ivschat is ${main.version}`)
  if (pkg.main !== addon) throw new Error(`${pkg.name}'s main is ${pkg.main}, the addon is ${addon}`)
  const dir = path.join(stageDir, pkg.name)
  fs.mkdirSync(dir, { recursive: true })
  fs.copyFileSync(path.join(src, 'package.json'), path.join(dir, 'package.json'))
  fs.copyFileSync(path.join(src, 'README.md'), path.join(dir, 'README.md'))
  fs.copyFileSync(path.join(buildDir, addon), path.join(dir, addon))
  optionalDependencies[pkg.name] = pkg.version
}

const dir = path.join(stageDir, main.name)
fs.mkdirSync(dir, { recursive: true })
for (const file of main.files) {
  if (file.includes('*')) continue // the addons live in the platform packages
  const built = path.join(buildDir, file)
  fs.copyFileSync(fs.existsSync(built) ? built : path.join(bindingsDir, file), path.join(dir, file))
}
fs.copyFileSync(path.join(bindingsDir, 'README.md'), path.join(dir, 'README.md'))
const { devDependencies, scripts, ...published } = main
published.files = main.files.filter((f) => !f.includes('*'))
published.optionalDependencies = optionalDependencies
fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(published, null, 2) + '\n')
console.log([main.name, ...Object.keys(optionalDependencies)].map((n) => path.join(stageDir, n)).join('\n'))
