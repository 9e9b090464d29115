// Receivers with the official JavaScript client (amazon-ivs-chat-messaging + ws on Node 20), one
// process holding one ChatRoom per token. Driven by ivschat-chatroom-bench over stdin/stdout,
// one JSON object a line (the same protocol as its Rust receivers):
//   in:  {"url", "tokens": [...], "warmup": W, "total": T}   then "report", then "quit"
//   out: {"event":"ready"}, {"event":"warm"} (every room has seqs 0..W), {"event":"done"}
//        (every room has 0..T), {"event":"report", ...tally}
// Message content is "<seq> <send instant, CLOCK_MONOTONIC µs>"; process.hrtime is that clock.
// Packages come from tools/oracle/messaging (or $IVSCHAT_ORACLE_DIR).
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const oracle = process.env.IVSCHAT_ORACLE_DIR ?? join(here, '../../tools/oracle/messaging');
const require = createRequire(join(oracle, 'package.json'));
const { ChatRoom } = require('amazon-ivs-chat-messaging');
globalThis.WebSocket = require('ws').WebSocket; // Node 20 has no global WebSocket (spec §8)

const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

// The bookkeeping of one process, as the Rust receivers' Tally does it.
class Tally {
  constructor(rooms, warmup, total) {
    Object.assign(this, { rooms, warmup, total });
    this.seen = rooms.map(() => new Uint8Array(total));
    this.count = new Uint32Array(rooms.length);
    this.latencies = new Uint32Array(rooms.length * (total - warmup));
    this.nLatencies = 0;
    this.duplicates = 0;
    this.foreign = 0;
    this.firstSend = Infinity;
    this.lastReceive = 0;
    this.warmRooms = 0;
    this.doneRooms = 0;
  }

  record(room, content, now) {
    const space = content.indexOf(' ');
    const seq = Number(content.slice(0, space));
    const sent = Number(content.slice(space + 1));
    if (!(space > 0 && Number.isInteger(seq) && seq >= 0 && seq < this.total)) {
      this.foreign += 1;
      return;
    }
    const seen = this.seen[room];
    if (seen[seq]) {
      this.duplicates += 1;
      return;
    }
    seen[seq] = 1;
    const count = ++this.count[room];
    if (seq >= this.warmup) {
      this.latencies[this.nLatencies++] = Math.max(0, now - sent);
      if (sent < this.firstSend) this.firstSend = sent;
      if (now > this.lastReceive) this.lastReceive = now;
    }
    if (count === this.warmup && ++this.warmRooms === this.rooms.length) out({ event: 'warm' });
    if (count === this.total && ++this.doneRooms === this.rooms.length) out({ event: 'done' });
  }

  summary() {
    const lat = this.latencies.subarray(0, this.nLatencies).sort();
    const at = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.round((p / 100) * (lat.length - 1)))] : 0);
    let received = 0;
    for (const c of this.count) received += c;
    return {
      rooms: this.rooms.length,
      received,
      measured: this.nLatencies,
      lost: this.rooms.length * this.total - received,
      duplicates: this.duplicates,
      foreign: this.foreign,
      p50_us: at(50),
      p99_us: at(99),
      max_us: lat.length ? lat[lat.length - 1] : 0,
      first_send_us: Number.isFinite(this.firstSend) ? this.firstSend : 0,
      last_receive_us: this.lastReceive,
    };
  }
}

function join_(tally, i, url, token, disconnects) {
  const room = new ChatRoom({ regionOrUrl: url, tokenProvider: async () => ({ token }) });
  room.logLevel = 'error'; // the default ('debug') logs every message to the console
  room.addListener('message', (m) => tally.record(i, m.content, nowUs()));
  room.addListener('disconnect', (reason) => disconnects.push(reason));
  return new Promise((resolve, reject) => {
    const offs = [
      room.addListener('connect', () => {
        offs.forEach((off) => off());
        resolve(room);
      }),
      room.addListener('disconnect', (reason) => {
        offs.forEach((off) => off());
        reject(new Error(`room ${i} did not connect: ${reason}`));
      }),
    ];
    room.connect();
  });
}

async function main() {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) return;
  const { url, tokens, warmup, total } = JSON.parse(first.value);
  const tally = new Tally(tokens, warmup, total);
  const disconnects = [];
  const rooms = [];
  for (let i = 0; i < tokens.length; i += 64) {
    const batch = tokens.slice(i, i + 64).map((t, j) => join_(tally, i + j, url, t, disconnects));
    rooms.push(...(await Promise.all(batch)));
  }
  out({ event: 'ready' });
  for (let line = await lines.next(); !line.done; line = await lines.next()) {
    if (line.value === 'report') {
      out({ event: 'report', ...tally.summary(), disconnects: disconnects.length, dropped: 0 });
    } else if (line.value === 'quit') {
      break;
    }
  }
  for (const room of rooms) room.disconnect();
  process.exit(0);
}

main().catch((e) => {
  console.error(`official-receivers: ${e.stack ?? e}`);
  process.exit(1);
});
