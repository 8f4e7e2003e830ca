// Stock automerge-repo clients against a sync server. Usage:
//   node scenarios.mjs <ws-url> <scenario> [args...]
// Prints one JSON object per line on stdout; the last is {"ok": true, ...} on success. Exits 0 on
// success, 1 on failure. Every wait has a deadline; nothing sleeps for a fixed time.
import { ImmutableString, Repo, decodeHeads, generateAutomergeUrl } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import * as readline from "node:readline"
// The websocket package the stock adapter itself uses under Node (its dependency, via isomorphic-ws).
import WebSocket from "ws"

const [url, scenario, ...args] = process.argv.slice(2)
const PATIENCE_MS = 20_000

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n")
}

function withDeadline(promise, what, ms = PATIENCE_MS) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function client(name, adapter = new WebSocketClientAdapter(url, 1000)) {
  return new Repo({
    network: [adapter],
    peerId: `${name}-${process.pid}`,
    sharePolicy: async () => true,
  })
}

// Resolves once pred(doc) holds for the handle, checked on every change.
function until(handle, what, pred) {
  const seen = () => `${what} (document: ${JSON.stringify(handle.doc())}, heads: ${handle.heads()})`
  return withDeadline(
    new Promise(resolve => {
      const check = () => {
        if (pred(handle.doc())) {
          handle.off("change", check)
          resolve()
        }
      }
      handle.on("change", check)
      check()
    }),
    { toString: seen },
  )
}

// A client that finds `docUrl`. The document may not have reached the server yet (its creator's
// socket connects in the background), and a stock client's find() gives up on "unavailable", so
// a fresh client asks again until the deadline, as an app polling for a new document would.
async function findWithNewClient(name, docUrl) {
  const deadline = Date.now() + PATIENCE_MS
  for (let attempt = 1; ; attempt++) {
    const repo = client(name)
    try {
      const handle = await withDeadline(repo.find(docUrl), `${name} to find the document`)
      out({ found: docUrl, attempt })
      return [repo, handle]
    } catch (e) {
      await repo.shutdown()
      if (!/unavailable/i.test(String(e?.message)) || Date.now() > deadline) throw e
    }
  }
}

function sortedHeads(handle) {
  return [...handle.heads()].sort()
}

// Canonical JSON (sorted keys): two equal documents may list keys in different orders.
function canonical(value) {
  return sortKeys(JSON.parse(JSON.stringify(value)))
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map(k => [k, sortKeys(value[k])]))
  }
  return value
}

async function createFind() {
  const a = client("js-a")
  const created = a.create({ client: "Acme", visits: 3 })
  out({ created: created.url })
  const [, found] = await findWithNewClient("js-b", created.url)
  await until(found, "the content", d => d?.client === "Acme")
  out({ ok: true, doc: canonical(found.doc()) })
}

async function concurrent() {
  const a = client("js-a")
  const ha = a.create({ client: "Acme" })
  const [, hb] = await findWithNewClient("js-b", ha.url)
  await until(hb, "the first content", d => d?.client === "Acme")
  // Concurrent edits, including a conflict on the same key.
  ha.change(d => {
    d.owner = "alice"
    d.budget = 100
  })
  hb.change(d => {
    d.region = "north"
    d.budget = 200
  })
  const both = d => d?.owner === "alice" && d?.region === "north"
  await until(ha, "a to see b's edit", both)
  await until(hb, "b to see a's edit", both)
  const converged = () => JSON.stringify(sortedHeads(ha)) === JSON.stringify(sortedHeads(hb))
  await withDeadline(
    new Promise(resolve => {
      const check = () => converged() && resolve()
      ha.on("change", check)
      hb.on("change", check)
      check()
    }),
    "identical heads",
  )
  const ja = JSON.stringify(canonical(ha.doc()))
  const jb = JSON.stringify(canonical(hb.doc()))
  if (ja !== jb) throw new Error(`diverged: ${ja} vs ${jb}`)
  out({ ok: true, doc: JSON.parse(ja), heads: sortedHeads(ha) })
}

async function ephemeral() {
  const a = client("js-a")
  const ha = a.create({ client: "Acme" })
  const [, hb] = await findWithNewClient("js-b", ha.url)
  await until(hb, "the content", d => d?.client === "Acme")
  const received = new Promise(resolve => {
    hb.on("ephemeral-message", ({ message }) => {
      if (message?.cursor === 42) resolve(message)
    })
  })
  // The server relays ephemeral messages as they come and never stores them; keep sending
  // until one arrives (each has a new count, so none is deduplicated away).
  const timer = setInterval(() => ha.broadcast({ cursor: 42, who: "alice" }), 200)
  ha.broadcast({ cursor: 42, who: "alice" })
  try {
    const message = await withDeadline(received, "the ephemeral message")
    out({ ok: true, message })
  } finally {
    clearInterval(timer)
  }
}

async function unavailable() {
  const a = client("js-a")
  const missing = generateAutomergeUrl()
  try {
    await withDeadline(a.find(missing), "an answer for an unknown document")
  } catch (e) {
    if (/unavailable/i.test(String(e?.message))) {
      out({ ok: true, unavailable: missing })
      return
    }
    throw e
  }
  throw new Error("an unknown document was found")
}

// Finds a document a Rust client created, checks its content, adds an edit, prints its heads,
// and stays connected until the driver writes a line on stdin (it has seen the edit).
async function withRust(docId) {
  const a = client("js-rust-peer")
  const handle = await withDeadline(a.find(`automerge:${docId}`), "the Rust client's document")
  // A Rust `put` of a string is a scalar, which JS reads as an ImmutableString object.
  await until(handle, "the Rust content", d => String(d?.client) === "Acme" && String(d?.from) === "rust")
  handle.change(d => {
    d.js = "hello from js"
  })
  out({ wrote: true, heads: sortedHeads(handle) })
  const lines = readline.createInterface({ input: process.stdin })
  await withDeadline(
    new Promise(resolve => lines.once("line", resolve)),
    "the driver to confirm",
  )
  const doc = handle.doc()
  out({ ok: true, doc: canonical(doc) })
}

// --- Authenticated servers (`url` carries a `?ticket=`; see tests/tests/interop_js_tickets.rs) ---

// Lines the driver writes on stdin, one at a time, each awaited with a deadline.
let stdinLines
function nextLine(what) {
  if (!stdinLines) {
    const queue = []
    const waiting = []
    readline.createInterface({ input: process.stdin }).on("line", line => {
      const next = waiting.shift()
      if (next) next(line)
      else queue.push(line)
    })
    stdinLines = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise(r => waiting.push(r)))
  }
  return withDeadline(stdinLines(), what)
}

// An enlace document: the server classifies it by its root `kind` and `account_id`. The
// document model keeps them as scalar strings (ImmutableString here); a plain JS string, which
// automerge makes collaborative text, is accepted too (`asText`).
function enlaceDoc(kind, account, fields, asText = false) {
  if (asText) return { kind, account_id: account, ...fields }
  return { kind: new ImmutableString(kind), account_id: new ImmutableString(account), ...fields }
}

// Resolves once the server announces heads equal to ours: it has stored our changes (enlace
// only announces durable heads). Subscribe right after the change, before any message arrives.
function untilAcknowledged(handle, what) {
  const ours = () => JSON.stringify(sortedHeads(handle))
  return withDeadline(
    new Promise(resolve => {
      const check = ({ heads }) => {
        if (JSON.stringify([...heads].sort()) === ours()) {
          handle.off("remote-heads", check)
          resolve()
        }
      }
      handle.on("remote-heads", check)
    }),
    { toString: () => `${what} (heads: ${handle.heads()})` },
  )
}

// Resolves with the first `doc-unavailable` the server sends about `documentId`.
function untilUnavailableMessage(repo, documentId, what) {
  return withDeadline(
    new Promise(resolve => {
      const check = message => {
        if (message.type === "doc-unavailable" && message.documentId === documentId) {
          repo.networkSubsystem.off("message", check)
          resolve(message)
        }
      }
      repo.networkSubsystem.on("message", check)
    }),
    what,
  )
}

// Creates a storecheck of account `account`, waits for the server to store it, then on each
// "edit" line from the driver makes an edit (acknowledged by the server), and finally waits for
// the driver's teammate's reply to arrive.
async function ticketCreateEdit(account) {
  const repo = client("js-ticket")
  // Plain strings, as a stock app writes them.
  const handle = repo.create(enlaceDoc("storecheck", account, { title: "from js", by: "jr" }, true))
  const acknowledged = untilAcknowledged(handle, "the server to store the new document")
  out({ created: handle.documentId })
  await acknowledged
  out({ acknowledged: handle.documentId, heads: sortedHeads(handle) })
  const line = await nextLine("the driver to ask for an edit")
  if (line !== "edit") throw new Error(`unexpected driver line ${line}`)
  handle.change(d => {
    d.note = "edited by js"
  })
  const edited = untilAcknowledged(handle, "the server to store the edit")
  await edited
  out({ wrote: true, heads: sortedHeads(handle) })
  await until(handle, "the teammate's reply", d => String(d?.reply) === "from mate")
  out({ ok: true, doc: canonical(handle.doc()) })
}

// Finds `visible` (a storecheck the driver's teammate wrote) and expects every one of `hidden`
// to be unavailable, exactly like a document that does not exist.
async function ticketVisibility(visible, ...hidden) {
  const repo = client("js-ticket")
  const handle = await withDeadline(repo.find(`automerge:${visible}`), "the visible document")
  await until(handle, "the visible content", d => String(d?.kind) === "storecheck" && String(d?.from) === "mate")
  out({ found: visible, doc: canonical(handle.doc()) })
  const missing = generateAutomergeUrl().slice("automerge:".length)
  const answers = {}
  for (const id of [...hidden, missing]) {
    let found
    try {
      found = await withDeadline(repo.find(`automerge:${id}`), `an answer about ${id}`)
    } catch (e) {
      if (!/unavailable/i.test(String(e?.message))) throw e
      answers[id] = "unavailable"
      out({ unavailable: id })
      continue
    }
    throw new Error(`found ${id}, which may not be seen: ${JSON.stringify(found.doc())}`)
  }
  out({ ok: true, found: visible, unavailable: answers, missing })
}

// Creates a storecheck of `refusedAccount` (not its user's) and one of `ownAccount`; waits for
// the server to refuse the first (doc-unavailable in answer to its changes, and the enlace
// extension message `enlace-refused` saying why, which the stock repo drops as a message type
// it does not know but its adapter hands on) and store the second.
async function ticketRefused(refusedAccount, ownAccount) {
  const adapter = new WebSocketClientAdapter(url, 1000)
  const told = withDeadline(
    new Promise(resolve => {
      adapter.on("message", message => {
        if (message.type === "enlace-refused") resolve(message)
      })
    }),
    "the server to say why it refused",
  )
  const repo = client("js-ticket", adapter)
  const refused = repo.create(enlaceDoc("storecheck", refusedAccount, { title: "not mine" }))
  const refusal = untilUnavailableMessage(repo, refused.documentId, "the server to refuse the document")
  let refusedAcknowledged = false
  refused.on("remote-heads", ({ heads }) => {
    if (heads.length > 0) refusedAcknowledged = true
  })
  const accepted = repo.create(enlaceDoc("storecheck", ownAccount, { title: "mine" }))
  const acknowledged = untilAcknowledged(accepted, "the server to store the document of our account")
  out({ refused: refused.documentId, accepted: accepted.documentId })
  await refusal
  out({ refusal: refused.documentId })
  await acknowledged
  if (refusedAcknowledged) throw new Error("the server acknowledged heads of the refused document")
  const why = await told
  out({
    ok: true,
    refused: refused.documentId,
    accepted: accepted.documentId,
    told: { documentId: why.documentId, code: why.code, message: why.message },
  })
}

// A stock client whose ticket is no good: its socket never opens (the stock adapter throws the
// upgrade's HTTP error from its error listener) and it never finds `docId`, which its user could
// read with a good ticket. Gives up after `ms` milliseconds.
async function ticketRefusedConnection(docId, ms) {
  const errors = []
  process.on("uncaughtException", e => errors.push(String(e?.message ?? e)))
  const repo = client("js-bad-ticket")
  let peers = 0
  repo.networkSubsystem.on("peer", () => peers++)
  let outcome
  try {
    const handle = await withDeadline(repo.find(`automerge:${docId}`), "an answer", Number(ms))
    outcome = { found: true, doc: canonical(handle.doc()) }
  } catch (e) {
    outcome = { found: false, error: String(e?.message) }
  }
  out({ outcome, peers, errors })
  if (outcome.found) throw new Error("a client with a bad ticket found a document")
  if (peers > 0) throw new Error("a client with a bad ticket met the server")
  if (!errors.some(e => /401/.test(e))) throw new Error(`no 401 seen: ${JSON.stringify(errors)}`)
  out({ ok: true, errors: [...new Set(errors)] })
}

// The HTTP status each URL's websocket upgrade gets, with the `ws` package the stock adapter
// uses under Node (101 when the socket opens).
async function upgradeStatus(...urls) {
  const statuses = []
  for (const target of urls) {
    const status = await withDeadline(
      new Promise(resolve => {
        const socket = new WebSocket(target)
        socket.on("open", () => {
          socket.close()
          resolve(101)
        })
        socket.on("unexpected-response", (_req, res) => {
          resolve(res.statusCode)
          res.resume()
          socket.terminate()
        })
        socket.on("error", e => resolve(`error: ${e?.message}`))
      }),
      `the upgrade of ${target}`,
    )
    out({ url: target, status })
    statuses.push(status)
  }
  out({ ok: true, statuses })
}

// Writes what only the server sets, as a stock client can: `sent` and a number into a contact
// report, `reviewed` into a storecheck. The server keeps the writes and answers with a change
// that takes them back out; this client's own copy must converge to the server's value.
async function ticketServerFields(account) {
  const repo = client("js-ticket")
  const note = repo.create(
    enlaceDoc("meeting_note", account, {
      title: "from js",
      contact_report: { status: { 0: { draft: true, in_review: true } } },
    }),
  )
  await untilAcknowledged(note, "the server to store the note")
  const check = repo.create(
    enlaceDoc("storecheck", account, { status: { 0: { draft: true, in_progress: true, submitted: true } } }),
  )
  await untilAcknowledged(check, "the server to store the storecheck")
  note.change(d => {
    d.contact_report.status["0"].sent = true
    d.contact_report.report_no = "FAKE-2026-0001"
  })
  check.change(d => {
    d.status["0"].reviewed = true
    d.reviewed_by = "jr"
  })
  out({ wrote: true })
  await until(
    note,
    "the server's repair of the report",
    d => d?.contact_report?.status?.["0"]?.sent === undefined && d?.contact_report?.report_no === undefined,
  )
  await until(
    check,
    "the server's repair of the storecheck",
    d => d?.status?.["0"]?.reviewed === undefined && d?.reviewed_by === undefined,
  )
  out({
    ok: true,
    note: note.documentId,
    check: check.documentId,
    // Hex change hashes, as every other automerge implementation writes them.
    noteHeads: decodeHeads(note.heads()).sort(),
    checkHeads: decodeHeads(check.heads()).sort(),
    report: canonical(note.doc().contact_report),
  })
}

// A stock client of the account's team opens the account's catalog (written by the server),
// changes it, and waits for the server's refusal (`enlace-refused`, which the stock repo drops
// as a message type it does not know). Reports the catalog's version it read.
async function ticketCatalogWrite(docId) {
  const adapter = new WebSocketClientAdapter(url, 1000)
  const told = withDeadline(
    new Promise(resolve => {
      adapter.on("message", message => {
        if (message.type === "enlace-refused" && message.documentId === docId) resolve(message)
      })
    }),
    "the server to refuse the write to the catalog",
  )
  const repo = client("js-ticket", adapter)
  const handle = await withDeadline(repo.find(`automerge:${docId}`), "the account's catalog")
  await until(handle, "the catalog's content", d => d?.kind !== undefined && d?.version !== undefined)
  const version = Number(handle.doc().version)
  handle.change(d => {
    d.version = 999
    d.stores = {}
  })
  out({ wrote: true, version })
  const why = await told
  out({ ok: true, version, told: { documentId: why.documentId, code: why.code, message: why.message } })
}

const scenarios = {
  "create-find": createFind,
  concurrent,
  ephemeral,
  unavailable,
  "with-rust": () => withRust(args[0]),
  "ticket-create-edit": () => ticketCreateEdit(args[0]),
  "ticket-visibility": () => ticketVisibility(...args),
  "ticket-refused": () => ticketRefused(args[0], args[1]),
  "ticket-refused-connection": () => ticketRefusedConnection(args[0], args[1]),
  "ticket-server-fields": () => ticketServerFields(args[0]),
  "ticket-catalog-write": () => ticketCatalogWrite(args[0]),
  "upgrade-status": () => upgradeStatus(url, ...args),
}

try {
  const run = scenarios[scenario]
  if (!url || !run) throw new Error(`usage: node scenarios.mjs <ws-url> <${Object.keys(scenarios).join("|")}>`)
  await run()
  process.exit(0)
} catch (e) {
  out({ ok: false, error: String(e?.stack ?? e) })
  process.exit(1)
}
