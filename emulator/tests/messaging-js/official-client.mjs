// The official client (amazon-ivs-chat-messaging) against ivschat-local.
// Run by emulator/tests/official_client.rs, which starts the emulator and a token-vending
// endpoint backed by the Rust core (`ivschat::Client`): VENDOR_URL and WS_URL come from there.
//   GET  $VENDOR_URL/token?user=U&caps=A,B[&short=1]   -> {token, tokenExpirationTime, sessionExpirationTime}
//   POST $VENDOR_URL/send-event?name=N                  -> SendEvent through the core
//   POST $VENDOR_URL/disconnect?user=U                  -> DisconnectUser through the core
import { WebSocket } from 'ws';
import {
  ChatRoom,
  SendMessageRequest,
  DeleteMessageRequest,
  DisconnectUserRequest,
} from 'amazon-ivs-chat-messaging';

globalThis.WebSocket = WebSocket; // Node 20 has no global WebSocket (spec §8)

const VENDOR = process.env.VENDOR_URL;
const WS_URL = process.env.WS_URL;
let passed = 0;
let failed = 0;

function check(name, cond, detail) {
  if (cond) {
    passed += 1;
    console.log(`ok - ${name}`);
  } else {
    failed += 1;
    console.log(`not ok - ${name}${detail === undefined ? '' : ` (${JSON.stringify(detail)})`}`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function until(fn, ms = 5000) {
  return new Promise((resolve) => {
    const started = Date.now();
    const tick = () => {
      if (fn()) return resolve(true);
      if (Date.now() - started > ms) return resolve(false);
      setTimeout(tick, 10);
    };
    tick();
  });
}

function makeRoom(user, caps, opts = {}) {
  const record = { user, messages: [], events: [], deletes: [], userDisconnects: [], disconnects: [], connects: 0, tokens: 0 };
  const room = new ChatRoom({
    regionOrUrl: WS_URL,
    tokenProvider: async () => {
      record.tokens += 1;
      const q = new URLSearchParams({ user, caps: caps.join(','), short: opts.short ? '1' : '' });
      const resp = await fetch(`${VENDOR}/token?${q}`);
      if (!resp.ok) throw new Error(`token vending failed: ${resp.status}`);
      const t = await resp.json();
      return {
        token: t.token,
        sessionExpirationTime: new Date(t.sessionExpirationTime),
        tokenExpirationTime: new Date(t.tokenExpirationTime),
      };
    },
  });
  room.logLevel = 'error';
  room.addListener('connect', () => { record.connects += 1; });
  room.addListener('disconnect', (reason) => record.disconnects.push(reason));
  room.addListener('message', (m) => record.messages.push(m));
  room.addListener('event', (e) => record.events.push(e));
  room.addListener('messageDelete', (e) => record.deletes.push(e));
  room.addListener('userDisconnect', (e) => record.userDisconnects.push(e));
  record.room = room;
  return record;
}

async function post(path) {
  const resp = await fetch(`${VENDOR}${path}`, { method: 'POST' });
  return resp.status;
}

async function main() {
  const alice = makeRoom('alice', ['SEND_MESSAGE', 'DELETE_MESSAGE', 'DISCONNECT_USER']);
  const bob = makeRoom('bob', ['SEND_MESSAGE']);
  const carol = makeRoom('carol', []);
  // A short tokenExpirationTime (now + 31 s) makes the SDK open a refresh connection after ~1 s.
  const dave = makeRoom('dave', [], { short: true });
  for (const r of [alice, bob, carol, dave]) r.room.connect();
  check('all four clients connect', await until(() => [alice, bob, carol, dave].every((r) => r.connects === 1)),
    [alice, bob, carol, dave].map((r) => [r.connects, r.disconnects]));

  // sendMessage resolves on its own echo; the others receive it.
  const msg = await alice.room.sendMessage(new SendMessageRequest('hello world', { color: 'blue' }));
  check('sendMessage resolves on its echo', msg.content === 'hello world' && msg.sender.userId === 'alice'
    && msg.attributes.color === 'blue' && /^[A-Za-z0-9]{12}$/.test(msg.id), msg);
  check('bob receives the message', await until(() => bob.messages.some((m) => m.id === msg.id)));
  check('carol (no capability) receives it too', await until(() => carol.messages.some((m) => m.id === msg.id)));

  // deleteMessage resolves with aws:DELETE_MESSAGE; others get messageDelete.
  const del = await alice.room.deleteMessage(new DeleteMessageRequest(msg.id, 'spam'));
  check('deleteMessage resolves', del.messageId === msg.id && del.reason === 'spam', del);
  check('bob receives messageDelete', await until(() => bob.deletes.some((d) => d.messageId === msg.id)));

  // A missing capability rejects the promise with ERROR 403.
  let rejection;
  try {
    await carol.room.sendMessage(new SendMessageRequest('I cannot'));
  } catch (e) {
    rejection = e;
  }
  check('a capability error rejects the promise', rejection && rejection.errorCode === 403, rejection);

  // SendEvent (control plane through the Rust core) arrives as an event.
  check('SendEvent accepted', (await post('/send-event?name=app%3Ahello')) === 200);
  check('SendEvent arrives', await until(() => bob.events.some((e) => e.eventName === 'app:hello')
    && carol.events.some((e) => e.eventName === 'app:hello')));

  // disconnectUser resolves; bob sees userDisconnect then serverDisconnect.
  const kicked = await alice.room.disconnectUser(new DisconnectUserRequest('bob', 'bye'));
  check('disconnectUser resolves', kicked.userId === 'bob' && kicked.reason === 'bye', kicked);
  check('bob ends in serverDisconnect', await until(() => bob.disconnects.includes('serverDisconnect')), bob.disconnects);
  check('bob saw userDisconnect', bob.userDisconnects.some((e) => e.userId === 'bob'));

  // DisconnectUser from the control plane ends in disconnect('serverDisconnect').
  check('DisconnectUser accepted', (await post('/disconnect?user=carol')) === 200);
  check('carol ends in serverDisconnect', await until(() => carol.disconnects.includes('serverDisconnect')), carol.disconnects);

  // Token refresh: dave's SDK fetched a second token and swapped sockets, and still receives.
  check('dave refreshed his token by reconnecting', await until(() => dave.tokens >= 2, 8000), dave.tokens);
  await sleep(700); // the swap completes once the new socket opens
  const after = await alice.room.sendMessage(new SendMessageRequest('after refresh'));
  check('dave receives after the refresh', await until(() => dave.messages.some((m) => m.id === after.id)));
  await sleep(200);
  check('exactly once', dave.messages.filter((m) => m.id === after.id).length === 1);
  check('dave never disconnected', dave.disconnects.length === 0 && dave.connects === 1, [dave.disconnects, dave.connects]);

  for (const r of [alice, dave]) r.room.disconnect();
  check('clientDisconnect', await until(() => alice.disconnects.includes('clientDisconnect')));
}

const watchdog = setTimeout(() => {
  console.log('not ok - watchdog: the scenario took longer than 60 s');
  process.exit(1);
}, 60000);

main()
  .catch((e) => {
    failed += 1;
    console.log(`not ok - exception: ${e && e.stack ? e.stack : JSON.stringify(e)}`);
  })
  .finally(() => {
    clearTimeout(watchdog);
    console.log(`official-client: ${passed} passed, ${failed} failed`);
    process.exit(failed === 0 ? 0 : 1);
  });
