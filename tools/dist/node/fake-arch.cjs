'use strict'
// Preloaded (node -r) to play a platform with no prebuilt addon: process.arch reads riscv64.
Object.defineProperty(process, 'arch', { value: 'riscv64' })
