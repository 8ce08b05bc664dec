// Serves PGlite (PostgreSQL 17 + pgvector, in WASM) over TCP for the platform's embedded database.
//
//   node server.mjs --data DIR|memory:// --port 5432 [--host 127.0.0.1] [--watch-stdin 1]
//                   [--idle-in-transaction-timeout-ms 60000]
//
// Prints one JSON line {"ready":true,...} once it accepts connections, or {"error":...} and exits 1.
//
// PGlite is a single PostgreSQL backend. pglite-socket's own queue interleaves connections at the
// level of single protocol messages, which breaks the extended query protocol that drivers such as
// Npgsql use (Parse/Bind/Execute/Sync of two clients mixed). We keep pglite-socket's per-connection
// framing (PGLiteSocketHandler) but give it a queue that lets one connection own the backend from its
// first message until the end of its query cycle (Sync or simple Query) and of any open transaction.
import net from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const dataDir = args.data ?? 'memory://';
const host = args.host ?? '127.0.0.1';
const port = Number(args.port ?? 5432);
const maxConnections = Number(args['max-connections'] ?? 256);
// PostgreSQL's idle_in_transaction_session_timeout, on by default here: a connection that owns the one backend
// (inside a transaction, or between the messages of a query cycle) and sends nothing for this long would otherwise
// stall every other connection of every service. 0 turns it off.
const idleTimeoutMs = Number(args['idle-in-transaction-timeout-ms'] ?? 60000);

const STARTUP_PROTOCOL = 196608;
const CANCEL_REQUEST = 80877102;
const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

class SessionQueue {
  #db;
  #owner = null;
  #waiters = [];
  #busy = false;
  #lastActivity = Date.now();

  constructor(db) {
    this.#db = db;
  }

  async enqueue(handlerId, message, onData) {
    await this.#acquire(handlerId);
    let bytes = 0;
    this.#busy = true;
    try {
      await this.#db.runExclusive(() =>
        this.#db.execProtocolRawStream(message, {
          onRawData: (data) => {
            bytes += data.length;
            onData(data);
          },
        }),
      );
    } finally {
      this.#busy = false;
      this.#lastActivity = Date.now();
      if (endsCycle(message) && !this.#db.isInTransaction()) this.#release(handlerId);
    }
    return bytes;
  }

  /** The connection that has held the backend without a message for longer than timeoutMs, or null. */
  idleOwner(timeoutMs) {
    if (this.#owner === null || this.#busy || Date.now() - this.#lastActivity <= timeoutMs) return null;
    return this.#owner;
  }

  clearQueueForHandler(handlerId) {
    const gone = this.#waiters.filter((w) => w.handlerId === handlerId);
    this.#waiters = this.#waiters.filter((w) => w.handlerId !== handlerId);
    for (const w of gone) w.reject(new Error('Handler disconnected'));
  }

  async clearTransactionIfNeeded(handlerId) {
    if (this.#owner !== handlerId) return;
    try {
      if (this.#db.isInTransaction()) await this.#db.exec('ROLLBACK');
    } finally {
      this.#release(handlerId);
    }
  }

  #acquire(handlerId) {
    if (this.#owner === null) {
      this.#owner = handlerId;
      this.#lastActivity = Date.now();
      return Promise.resolve();
    }
    if (this.#owner === handlerId) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ handlerId, resolve, reject }));
  }

  #release(handlerId) {
    if (this.#owner !== handlerId) return;
    const next = this.#waiters.shift();
    this.#owner = next ? next.handlerId : null;
    this.#lastActivity = Date.now();
    next?.resolve();
  }
}

function endsCycle(message) {
  if (message.length >= 8 && new DataView(message.buffer, message.byteOffset).getInt32(4) === STARTUP_PROTOCOL) return true;
  return message[0] === SYNC || message[0] === QUERY || message[0] === TERMINATE;
}

// A CancelRequest (a driver cancelling a query, from a connection of its own) is 16 bytes without a type byte:
// pglite-socket's framing reads it as the start of a 4,101-byte message and waits for the rest, while the driver
// waits for the server to close the connection (Npgsql for 30 s, holding the cancelled connection's transaction,
// and with it the one backend, the whole time). PGlite cannot interrupt a running query, so, as PostgreSQL does
// with a request it cannot match, the connection is closed without an answer and the query finishes normally.
function isCancelRequest(data) {
  return data.length >= 8 && data.readInt32BE(0) === 16 && data.readInt32BE(4) === CANCEL_REQUEST;
}

class SocketHandler extends PGLiteSocketHandler {
  #first = true;

  async handleData(data) {
    if (this.#first) {
      this.#first = false;
      if (isCancelRequest(data)) {
        await this.detach(true);
        return 0;
      }
    }
    return super.handleData(data);
  }
}

function fail(message) {
  console.log(JSON.stringify({ error: message }));
  process.exit(1);
}

let db;
try {
  db = await PGlite.create({ dataDir, extensions: { vector } });
  await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
} catch (e) {
  fail(`could not open the database in ${dataDir}: ${e.message ?? e}`);
}

const queue = new SessionQueue(db);
const handlers = new Map();
const server = net.createServer((socket) => {
  if (handlers.size >= maxConnections) {
    socket.destroy();
    return;
  }
  const handler = new SocketHandler({ queryQueue: queue, closeOnDetach: true });
  handlers.set(handler.handlerId, handler);
  const forget = () => handlers.delete(handler.handlerId);
  handler.addEventListener('close', forget);
  handler.addEventListener('error', forget);
  handler.attach(socket).catch(() => {
    forget();
    socket.destroy();
  });
});
server.on('error', (e) => {
  if (e.code === 'EADDRINUSE') fail(`port ${port} on ${host} is already in use`);
  fail(e.message);
});
server.listen(port, host, () => {
  console.log(JSON.stringify({ ready: true, host, port: server.address().port, dataDir }));
});

// What PostgreSQL sends before it ends such a session: a FATAL ErrorResponse with SQLSTATE 25P03.
function fatal(code, message) {
  const fields = Buffer.concat(
    [['S', 'FATAL'], ['V', 'FATAL'], ['C', code], ['M', message]].map(([type, value]) => Buffer.from(`${type}${value}\0`)),
  );
  const frame = Buffer.alloc(1 + 4 + fields.length + 1);
  frame.write('E', 0);
  frame.writeInt32BE(4 + fields.length + 1, 1);
  fields.copy(frame, 5);
  return frame;
}

if (idleTimeoutMs > 0) {
  setInterval(() => {
    const id = queue.idleOwner(idleTimeoutMs);
    const handler = id === null ? undefined : handlers.get(id);
    if (!handler) return;
    console.log(JSON.stringify({ warning: `closed connection ${id}: it held the database idle for over ${idleTimeoutMs} ms (idle-in-transaction timeout)` }));
    handler.socket?.write(fatal('25P03', 'terminating connection due to idle-in-transaction timeout'));
    // Detaching rolls back its transaction and hands the backend to the next connection waiting.
    handlers.delete(id);
    handler.detach(true).catch(() => {});
  }, Math.max(50, Math.min(1000, idleTimeoutMs / 4))).unref();
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  server.close();
  for (const h of handlers.values()) await h.detach(true).catch(() => {});
  await db.close().catch(() => {});
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if ('watch-stdin' in args) {
  // A test host closes our stdin when it goes away, even if it was killed: do not outlive it.
  process.stdin.on('end', stop);
  process.stdin.resume();
}
