'use strict'
// Node's sockets for the native client (the core's host I/O, core/src/host.rs). The native side
// encodes, signs, parses, retries and decides what every failure means; this file only opens
// connections, writes the bytes it is given, hands back what arrives, and keeps idle
// connections for reuse. Calls then run on the JavaScript thread from start to end.

// Loaded with the first connection: together they cost ~10 ms of start-up.
let net
let tls

// What native.feed() answers.
const MORE = 0
const KEEP = 1
const CLOSE = 2
// How an exchange failed (native.fail's `kind`).
const CONNECT = 0
const CONNECT_TIMEOUT = 1
const BROKEN = 2
const READ_TIMEOUT = 3
const DEADLINE = 4

const IDLE_LIMIT_MS = 60_000
const EXCHANGE = Symbol('exchange')
const ORIGIN = Symbol('origin')
const CONNECTED = Symbol('connected')
const IDLE_SINCE = Symbol('idleSince')
const READ_MS = Symbol('readMs')

class Connections {
  constructor() {
    // A WeakRef: the native client holds this object's functions through napi references, which
    // are GC roots, so a strong reference back would keep every client alive for ever.
    this.native = null
    this.idle = new Map() // origin → sockets, most recently used last
    this.busy = new Map() // exchange id → socket
    this.send = this.send.bind(this)
    this.abandon = this.abandon.bind(this)
  }

  /** Writes one request (native action `Send`). Never throws: a failure is reported. */
  send(id, secure, host, port, bytes, fresh, connectMs, readMs, leftMs) {
    const origin = `${secure ? 'https' : 'http'}://${host}:${port}`
    let socket = fresh ? undefined : this.takeIdle(origin)
    const reused = socket !== undefined
    const exchange = { id, reused, readMs, timer: undefined }
    try {
      if (socket === undefined) socket = this.open(origin, secure, host, port, connectMs)
      else readTimeout(socket, readMs)
      socket[EXCHANGE] = exchange
      this.busy.set(id, socket)
      socket.ref()
      if (leftMs >= 0) exchange.timer = setTimeout(() => this.failed(socket, DEADLINE, ''), leftMs)
      socket.write(bytes)
    } catch (e) {
      // Reported once this native call has returned.
      if (socket) this.detach(socket)
      process.nextTick(() => this.native.deref()?.fail(id, CONNECT, String((e && e.message) || e), false))
    }
  }

  /** The exchange's call was dropped (aborted): close its connection. */
  abandon(id) {
    const socket = this.busy.get(id)
    if (socket === undefined) return
    this.detach(socket)
    socket.destroy()
  }

  open(origin, secure, host, port, connectMs) {
    if (net === undefined) net = require('node:net')
    if (secure && tls === undefined) tls = require('node:tls')
    const socket = secure
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] })
      : net.connect({ host, port })
    socket.setNoDelay(true)
    socket[ORIGIN] = origin
    socket[CONNECTED] = false
    readTimeout(socket, connectMs)
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      socket[CONNECTED] = true
      const exchange = socket[EXCHANGE]
      readTimeout(socket, exchange ? exchange.readMs : 0)
    })
    socket.on('data', (chunk) => this.data(socket, chunk))
    // An idle connection keeps its read timeout (setting it costs a timer update): ignored there.
    socket.on('timeout', () => {
      if (socket[EXCHANGE] !== undefined) this.failed(socket, socket[CONNECTED] ? READ_TIMEOUT : CONNECT_TIMEOUT, '')
    })
    socket.on('error', (e) => this.failed(socket, socket[CONNECTED] ? BROKEN : CONNECT, e.message))
    socket.on('close', () => this.closed(socket))
    return socket
  }

  data(socket, chunk) {
    const exchange = socket[EXCHANGE]
    if (exchange === undefined) {
      // Bytes nobody asked for: the connection is out of step.
      this.forget(socket)
      socket.destroy()
      return
    }
    const native = this.native.deref()
    const verdict = native === undefined ? CLOSE : native.feed(exchange.id, chunk)
    if (verdict === MORE) return
    this.detach(socket)
    if (verdict === KEEP) {
      socket.unref()
      socket[IDLE_SINCE] = Date.now()
      const list = this.idle.get(socket[ORIGIN])
      if (list) list.push(socket)
      else this.idle.set(socket[ORIGIN], [socket])
    } else {
      socket.destroy()
    }
  }

  failed(socket, kind, message) {
    this.forget(socket)
    const exchange = socket[EXCHANGE]
    socket.destroy()
    if (exchange === undefined) return
    this.detach(socket)
    this.native.deref()?.fail(exchange.id, kind, message || '', exchange.reused)
  }

  closed(socket) {
    this.forget(socket)
    const exchange = socket[EXCHANGE]
    if (exchange === undefined) return
    this.detach(socket)
    this.native.deref()?.end(exchange.id, exchange.reused)
  }

  detach(socket) {
    const exchange = socket[EXCHANGE]
    if (exchange === undefined) return
    socket[EXCHANGE] = undefined
    this.busy.delete(exchange.id)
    if (exchange.timer !== undefined) clearTimeout(exchange.timer)
  }

  takeIdle(origin) {
    const list = this.idle.get(origin)
    if (list === undefined) return undefined
    const now = Date.now()
    while (list.length > 0) {
      const socket = list.pop()
      if (now - socket[IDLE_SINCE] < IDLE_LIMIT_MS && !socket.destroyed) return socket
      socket.destroy()
    }
    this.idle.delete(origin)
    return undefined
  }

  /** Closes every connection (the client was collected). */
  closeAll() {
    for (const list of this.idle.values()) for (const socket of list) socket.destroy()
    for (const socket of this.busy.values()) socket.destroy()
    this.idle.clear()
    this.busy.clear()
  }

  forget(socket) {
    const list = this.idle.get(socket[ORIGIN])
    if (list === undefined) return
    const at = list.indexOf(socket)
    if (at >= 0) list.splice(at, 1)
    if (list.length === 0) this.idle.delete(socket[ORIGIN])
  }
}

/** Sets the socket's inactivity timeout (the read timeout, 0 for none) when it changes. */
function readTimeout(socket, ms) {
  if (socket[READ_MS] === ms) return
  socket[READ_MS] = ms
  socket.setTimeout(ms)
}

// A collected client's connections are closed (its idle ones would stay open until the server
// closed them).
const collected = new FinalizationRegistry((connections) => connections.closeAll())

/** A NativeClient whose calls run on this thread over Node's sockets. */
function createNativeClient(NativeClient, options, provider, complete) {
  const connections = new Connections()
  let self
  const kick = () => self.deref()?.run()
  const client = new NativeClient(options, provider, complete, connections.send, connections.abandon, kick)
  self = new WeakRef(client)
  connections.native = self
  collected.register(client, connections)
  return client
}

module.exports = { createNativeClient }
