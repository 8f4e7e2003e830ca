// Stock automerge-repo clients against a sync server. Usage:
//   node scenarios.mjs <ws-url> <scenario> [args...]
// Prints one JSON object per line on stdout; the last is {"ok": true, ...} on success. Exits 0 on
// success, 1 on failure. Every wait has a deadline; nothing sleeps for a fixed time.
import { Repo, generateAutomergeUrl } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import * as readline from "node:readline"

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

function client(name) {
  return new Repo({
    network: [new WebSocketClientAdapter(url, 1000)],
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

const scenarios = {
  "create-find": createFind,
  concurrent,
  ephemeral,
  unavailable,
  "with-rust": () => withRust(args[0]),
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
