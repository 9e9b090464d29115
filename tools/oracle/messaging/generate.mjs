#!/usr/bin/env node
// The messaging conformance oracle: drives the official client (amazon-ivs-chat-messaging,
// with the `ws` polyfill) against a local `ws` server, feeds it the frames of inputs.mjs and
// records what it emits, rejects, resolves and sends. Writes
// tests/conformance/messaging.json; with --check, regenerates in memory and exits 1 if the
// committed file differs.
//
//   cd tools/oracle/messaging && npm ci && node generate.mjs [--check]

process.env.TZ = 'UTC'; // date-times without an offset are local time in JavaScript

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import {
  ChatRoom,
  SendMessageRequest,
  DeleteMessageRequest,
  DisconnectUserRequest,
} from 'amazon-ivs-chat-messaging';
import { frameCases, requestCases, endpointCases } from './inputs.mjs';

globalThis.WebSocket = WebSocket;

const here = dirname(fileURLToPath(import.meta.url));
const OUT = join(here, '..', '..', '..', 'tests', 'conformance', 'messaging.json');
const version = (name) => JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
const SDK_VERSION = version('amazon-ivs-chat-messaging');
const WS_VERSION = version('ws');
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// ---- the local server -----------------------------------------------------------------------

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  handleProtocols: (protocols) => [...protocols][0], // echo the token
});
await new Promise((resolve) => wss.once('listening', resolve));
const URL = `ws://127.0.0.1:${wss.address().port}/`;
let sockets = [];
let received = [];
wss.on('connection', (ws) => {
  sockets.push(ws);
  ws.on('message', (data) => received.push(data.toString()));
  ws.on('close', () => {
    sockets = sockets.filter((s) => s !== ws);
  });
});
const newest = () => sockets.filter((s) => s.readyState === WebSocket.OPEN).at(-1);

// ---- a room under observation ---------------------------------------------------------------

const plain = (v) => JSON.parse(JSON.stringify(v));

async function openRoom() {
  const observed = [];
  let sync = null;
  let tokens = 0;
  const room = new ChatRoom({
    regionOrUrl: URL,
    tokenProvider: async () => ({ token: `oracle-token-${++tokens}` }),
  });
  room.logger = {
    debug: (message) => {
      if (message.includes('ignoring already received socket message')) observed.push({ duplicate: true });
    },
    info: () => {},
    error: (message, ...args) => {
      const error = args.find((a) => a instanceof Error);
      observed.push({ log: message.replace(/^Room \S+ /, ''), args, error: error?.message });
    },
  };
  for (const name of ['message', 'messageDelete', 'userDisconnect']) {
    room.addListener(name, (data) => observed.push({ emit: name, data: plain(data) }));
  }
  room.addListener('event', (data) => {
    if (data.eventName === 'oracle:sync') {
      if (sync && data.id === sync.id) sync.resolve();
      return;
    }
    observed.push({ emit: 'event', data: plain(data) });
  });
  room.addListener('connecting', () => observed.push({ state: 'connecting' }));
  room.addListener('connect', () => observed.push({ state: 'connect' }));
  room.addListener('disconnect', (reason) => observed.push({ state: 'disconnect', reason }));
  const connected = new Promise((resolve) => room.addListener('connect', resolve));
  room.connect();
  await connected;
  observed.length = 0;
  let syncs = 0;
  // Everything the client did with the frames sent so far has happened once it emits this
  // event (re-sent to every open socket, so a reconnect cannot lose it; duplicates are dropped).
  const settle = async () => {
    const id = `oracle-sync-${++syncs}`;
    const text = JSON.stringify({ Type: 'EVENT', Id: id, EventName: 'oracle:sync', SendTime: '2022-01-01T00:00:00.000Z' });
    const done = new Promise((resolve) => (sync = { id, resolve }));
    const send = () => sockets.forEach((s) => s.readyState === WebSocket.OPEN && s.send(text));
    send();
    const timer = setInterval(send, 25);
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('sync timeout')), 5000));
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearInterval(timer);
    }
    await new Promise((resolve) => setImmediate(resolve));
  };
  const close = async () => {
    room.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 20));
  };
  return { room, observed, settle, close };
}

const REJECTION_LOGS = [
  'failed to parse received JSON',
  'received unknown entity type',
  'did fail to deserialize received',
];

/** What one frame did, from the observations between two syncs. */
function outcome(obs, caseId) {
  const out = {};
  const emits = obs.filter((o) => o.emit);
  const rejections = obs.filter((o) => o.log && REJECTION_LOGS.some((p) => o.log.startsWith(p)));
  const parsedError = obs.find((o) => o.log === 'received error');
  if (obs.some((o) => o.duplicate)) {
    out.duplicate = true;
  } else if (emits.length === 1) {
    out.accepted = emits[0].emit;
    out.data = emits[0].data;
  } else if (emits.length > 1) {
    throw new Error(`${caseId}: one frame, several events`);
  } else if (parsedError) {
    const e = parsedError.args[0];
    out.error = { id: e.Id, errorCode: e.ErrorCode, errorMessage: e.ErrorMessage };
    if (e.RequestId != null) out.error.requestId = e.RequestId;
  } else if (rejections.length) {
    const last = rejections.at(-1);
    const message = last.error ?? last.log;
    const field = /^([A-Za-z.]+): expected/.exec(message)?.[1] ?? null;
    out.rejected = { field, message };
  } else {
    throw new Error(`${caseId}: the frame had no visible effect: ${JSON.stringify(obs)}`);
  }
  for (const o of obs) {
    if (o.settle) {
      if (o.ok) {
        if (JSON.stringify(o.value) !== JSON.stringify(out.data)) throw new Error(`${caseId}: resolved with another value`);
        out.resolves = o.settle;
      } else {
        if (JSON.stringify(o.value) !== JSON.stringify(out.error)) throw new Error(`${caseId}: rejected with another value`);
        out.rejects = o.settle;
      }
    }
  }
  const states = obs.filter((o) => o.state).map((o) => o.state);
  if (states.length) {
    if (JSON.stringify(states) !== '["connecting","connect"]') throw new Error(`${caseId}: states ${states}`);
    out.reconnects = true;
  }
  return out;
}

async function runFrameCase(c) {
  const { room, observed, settle, close } = await openRoom();
  const settled = new Set();
  const method = { SEND_MESSAGE: 'sendMessage', DELETE_MESSAGE: 'deleteMessage', DISCONNECT_USER: 'disconnectUser' };
  const body = { SEND_MESSAGE: { content: 'pending' }, DELETE_MESSAGE: { id: 'm' }, DISCONNECT_USER: { userId: 'u' } };
  for (const p of c.pending ?? []) {
    room[method[p.action]]({ action: p.action, requestId: p.requestId, ...body[p.action] }).then(
      (value) => {
        settled.add(p.requestId);
        observed.push({ settle: p.requestId, ok: true, value: plain(value) });
      },
      (value) => {
        settled.add(p.requestId);
        observed.push({ settle: p.requestId, ok: false, value: plain(value) });
      },
    );
  }
  await settle();
  observed.length = 0;
  const then = [];
  for (const frame of c.frames) {
    const socket = newest();
    if (!socket) throw new Error(`${c.id}: no open socket`);
    socket.send(frame);
    await settle();
    if (room.state === 'connecting') {
      // ERROR 401: the reconnect began after the sync frame; wait for it to finish.
      const deadline = Date.now() + 5000;
      while (room.state === 'connecting' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await settle();
    }
    then.push(outcome(observed.splice(0), c.id));
  }
  await close();
  const out = { id: c.id, kind: 'frames', frames: c.frames, then };
  if (c.pending) {
    out.pending = c.pending;
    out.unsettled = c.pending.map((p) => p.requestId).filter((r) => !settled.has(r));
  }
  if (c.ivschat) out.ivschat = c.ivschat;
  return out;
}

async function runRequestCase(c) {
  const { room, close, settle } = await openRoom();
  const { action, requestId, content, attributes, id, userId, reason } = c.input;
  let request;
  let call;
  if (action === 'SEND_MESSAGE') {
    request = new SendMessageRequest(content, attributes);
    call = 'sendMessage';
  } else if (action === 'DELETE_MESSAGE') {
    request = new DeleteMessageRequest(id, reason);
    call = 'deleteMessage';
  } else {
    request = new DisconnectUserRequest(userId, reason);
    call = 'disconnectUser';
  }
  if (requestId !== undefined) request.requestId = requestId;
  received = [];
  room[call](request).catch(() => {});
  const deadline = Date.now() + 5000;
  while (received.length === 0) {
    if (Date.now() > deadline) throw new Error(`${c.id}: nothing sent`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await settle();
  if (received.length !== 1) throw new Error(`${c.id}: ${received.length} frames sent`);
  let frame = received[0];
  const expect = {};
  if (requestId === undefined) {
    const sent = JSON.parse(frame).RequestId;
    if (!UUID4.test(sent)) throw new Error(`${c.id}: RequestId ${sent} is no UUIDv4`);
    frame = frame.replace(sent, '{uuid4}');
    expect.requestId = 'uuid4';
  }
  expect.frame = frame;
  await close();
  return { id: c.id, kind: 'request', input: c.input, expect };
}

function runEndpointCase(c) {
  let expect;
  try {
    const room = new ChatRoom({ regionOrUrl: c.regionOrUrl, tokenProvider: async () => ({ token: 't' }) });
    expect = { url: room.socketUrl };
  } catch (e) {
    expect = { error: e.message };
  }
  return { id: c.id, kind: 'endpoint', regionOrUrl: c.regionOrUrl, expect };
}

/** JSON with sorted keys, 2-space indent, trailing newline. */
function stable(value) {
  const sort = (v) =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]))
        : v;
  return JSON.stringify(sort(value), null, 2) + '\n';
}

const ids = new Set();
const cases = [];
for (const c of [...frameCases, ...requestCases, ...endpointCases]) {
  if (ids.has(c.id)) throw new Error(`duplicate case id ${c.id}`);
  ids.add(c.id);
}
for (const c of frameCases) cases.push(await runFrameCase(c));
for (const c of requestCases) cases.push(await runRequestCase(c));
for (const c of endpointCases) cases.push(runEndpointCase(c));
wss.close();
for (const s of sockets) s.terminate();

const text = stable({
  oracle: { client: `amazon-ivs-chat-messaging ${SDK_VERSION}`, websocket: `ws ${WS_VERSION}`, node: process.version.split('.')[0] },
  cases,
});
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(OUT, 'utf8');
  } catch {}
  if (committed !== text) {
    console.error(`${OUT} is out of date: run node tools/oracle/messaging/generate.mjs`);
    const a = committed.split('\n');
    const b = text.split('\n');
    for (let i = 0, shown = 0; i < Math.max(a.length, b.length) && shown < 20; i++) {
      if (a[i] !== b[i]) {
        console.error(`line ${i + 1}:\n- ${a[i]}\n+ ${b[i]}`);
        shown++;
      }
    }
    process.exit(1);
  }
  console.log(`messaging.json is up to date (${cases.length} cases)`);
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT} (${cases.length} cases)`);
}
process.exit(0);
