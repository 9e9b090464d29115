'use strict'
// ChatRoom with the shape of the official client `amazon-ivs-chat-messaging` (1.1.1) over the
// core's messaging client (NativeRoom, src/room.rs): switching is changing the import. The
// deliberate differences are the core's (core/src/messaging/mod.rs): requests time out and fail
// when the room disconnects; a frame that does not parse, or an ERROR no request claims, goes to
// `room.logger.error` without its content.

const { randomUUID } = require('node:crypto')
const native = require('./load-native.js')

// The official client's `chatErrorCodes`.
const chatErrorCodes = Object.freeze({ badRequest: 400, unauthorized: 401, forbidden: 403, notFound: 404,
  notAcceptable: 406, payloadTooLarge: 413, tooManyRequests: 429, internalServerError: 500 })

class SendMessageRequest {
  constructor(content, attributes) {
    this.action = 'SEND_MESSAGE'
    this.requestId = randomUUID()
    this.content = content
    this.attributes = attributes
  }
}

class DeleteMessageRequest {
  constructor(id, reason) {
    this.action = 'DELETE_MESSAGE'
    this.requestId = randomUUID()
    this.id = id
    this.reason = reason
  }
}

class DisconnectUserRequest {
  constructor(userId, reason) {
    this.action = 'DISCONNECT_USER'
    this.requestId = randomUUID()
    this.userId = userId
    this.reason = reason
  }
}

// The native event arrays (src/room.rs `event`) as the official client's objects, its keys in
// its order; `answer` is the event that settles a request of that action.
const opt = (v) => v ?? undefined
const EVENTS = {
  message: ([id, userId, userAttributes, content, time, requestId, attributes]) => ({
    id,
    sender: { userId, attributes: opt(userAttributes) },
    content,
    sendTime: new Date(time),
    requestId: opt(requestId),
    attributes: opt(attributes),
  }),
  event: ([id, eventName, time, requestId, attributes]) => ({
    id,
    eventName,
    sendTime: new Date(time),
    requestId: opt(requestId),
    attributes: opt(attributes),
  }),
  messageDelete: ([id, messageId, reason, time, requestId, attributes]) =>
    ({ id, messageId, reason: opt(reason), sendTime: new Date(time), requestId: opt(requestId), attributes }),
  userDisconnect: ([id, userId, reason, time, requestId, attributes]) =>
    ({ id, userId, reason: opt(reason), sendTime: new Date(time), requestId: opt(requestId), attributes }),
}
const ANSWER = { SEND_MESSAGE: 'message', DELETE_MESSAGE: 'messageDelete', DISCONNECT_USER: 'userDisconnect' }
const chatError = ([, id, errorCode, errorMessage, requestId]) => ({ id, errorCode, errorMessage, requestId: opt(requestId) })

// The official client's checks (utils/serialize.js): what `request` must hold to be sent.
function check(request) {
  const string = (v) => typeof v === 'string'
  const optional = (v, type) => v == null || typeof v === type
  const ok =
    request != null &&
    string(request.requestId) &&
    ((request.action === 'SEND_MESSAGE' && string(request.content) && optional(request.attributes, 'object')) ||
      (request.action === 'DELETE_MESSAGE' && string(request.id) && optional(request.reason, 'string')) ||
      (request.action === 'DISCONNECT_USER' && string(request.userId) && optional(request.reason, 'string')))
  if (!ok) throw new Error('Request serialization failed')
}

// A token as the official client's parseToken reads it; the times in epoch milliseconds.
function tokenOf(t) {
  if (t == null || typeof t !== 'object' || typeof t.token !== 'string') throw new Error('token: expected string')
  const ms = (v, field) => {
    if (v == null) return undefined
    const d = typeof v === 'string' ? new Date(v) : v
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new Error(`${field}: expected Date object or ISO 8601 string`)
    return d.getTime()
  }
  return {
    token: t.token,
    sessionExpirationTime: ms(t.sessionExpirationTime, 'sessionExpirationTime'),
    tokenExpirationTime: ms(t.tokenExpirationTime, 'tokenExpirationTime'),
  }
}

class ChatRoom {
  constructor({ regionOrUrl, tokenProvider, maxReconnectAttempts = 3, id = randomUUID() }) {
    this._native = new native.NativeRoom(String(regionOrUrl), maxReconnectAttempts, String(id))
    this._tokenProvider = tokenProvider
    this._state = 'disconnected'
    this._listeners = new Map()
    this._pending = new Map()
    this._connection = 0
    this.id = id
    this.maxReconnectAttempts = maxReconnectAttempts
    this.logger = console
    this.logLevel = 'debug'
  }

  get state() {
    return this._state
  }

  addListener(eventName, listener) {
    const listeners = this._listeners.get(eventName) || []
    if (!listeners.includes(listener)) this._listeners.set(eventName, [...listeners, listener])
    return () => this.removeListener(eventName, listener)
  }

  removeListener(eventName, listener) {
    const listeners = this._listeners.get(eventName)
    if (listeners) this._listeners.set(eventName, listeners.filter((l) => l !== listener))
  }

  _dispatch(eventName, ...args) {
    for (const listener of this._listeners.get(eventName) || []) listener(...args)
  }

  _setState(state, reason) {
    if (state === this._state) return
    this._state = state
    if (state === 'disconnected') {
      const pending = [...this._pending.values()]
      this._pending.clear()
      for (const p of pending) p.reject(new Error('Room is not connected'))
    }
    this._dispatch({ connecting: 'connecting', connected: 'connect', disconnected: 'disconnect' }[state], reason)
  }

  connect() {
    if (this._state !== 'disconnected') throw new Error(`State must be "disconnected" but is ${this._state}`)
    const connection = ++this._connection
    this._setState('connecting')
    const provider = () => Promise.resolve().then(() => this._tokenProvider()).then(tokenOf)
    this._native.connect((text) => {
      if (connection === this._connection) this._receive(JSON.parse(text))
    }, provider)
  }

  disconnect() {
    this._connection++
    this._setState('disconnected', 'clientDisconnect')
    this._native.disconnect()
  }

  _receive(e) {
    const [kind] = e
    if (kind === 'connecting') return this._setState('connecting')
    if (kind === 'connect') return this._setState('connected')
    if (kind === 'disconnect') return this._setState('disconnected', e[1])
    if (kind === 'settled') return this._settle(e[1], e[2], e[3])
    if (EVENTS[kind]) {
      const data = EVENTS[kind](e.slice(1))
      this._dispatch(kind, data)
      const pending = data.requestId != null && this._pending.get(data.requestId)
      if (pending && ANSWER[pending.action] === kind) {
        this._pending.delete(data.requestId)
        pending.resolve(data)
      }
      return undefined
    }
    const what = {
      rejected: () => [`Room ${this.id} did fail to parse a received frame`, Object.assign(new Error(e[2]), { name: 'ParsingError', field: opt(e[1]) })],
      error: () => [`Room ${this.id} received error without matching pending request`, chatError(e)],
      dropped: () => [`Room ${this.id} dropped ${e[1]} events (listeners too slow)`],
    }[kind]
    if (what) this.logger.error(...what())
    return undefined
  }

  _settle(requestId, ok, answer) {
    const pending = this._pending.get(requestId)
    if (!pending) return
    this._pending.delete(requestId)
    if (ok) pending.resolve(EVENTS[answer[0]](answer.slice(1)))
    else pending.reject(answer[0] === 'chat' ? chatError(answer) : new Error(answer[1]))
  }

  _request(request) {
    check(request)
    if (this._state !== 'connected') throw new Error('Room is not connected')
    if (this._pending.has(request.requestId)) throw new Error('Duplicate request id')
    const { action, requestId } = request
    const subject = { SEND_MESSAGE: request.content, DELETE_MESSAGE: request.id, DISCONNECT_USER: request.userId }[action]
    return new Promise((resolve, reject) => {
      this._pending.set(requestId, { action, resolve, reject })
      this._native.request(action, requestId, subject, opt(request.reason), opt(request.attributes))
    })
  }

  sendMessage(request) {
    return this._request(request)
  }

  deleteMessage(request) {
    return this._request(request)
  }

  disconnectUser(request) {
    return this._request(request)
  }
}

module.exports = { ChatRoom, SendMessageRequest, DeleteMessageRequest, DisconnectUserRequest, chatErrorCodes }
