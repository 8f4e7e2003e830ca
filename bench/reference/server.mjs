// Reference automerge-repo sync server for enlace's benchmarks.
// A faithful, minimal copy of what automerge/automerge-repo-sync-server does (a Repo with a
// websocket server adapter, node fs storage and a share policy that never announces), without
// express. Usage: node server.mjs <port> <data-dir>
import fs from "node:fs"
import http from "node:http"
import { WebSocketServer } from "ws"
import { Repo } from "@automerge/automerge-repo"
import { WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"

const [portArg, dataDir] = process.argv.slice(2)
const port = Number(portArg)
if (!Number.isInteger(port) || port < 0 || port > 65535 || !dataDir) {
  console.error("usage: node server.mjs <port> <data-dir>")
  process.exit(2)
}
fs.mkdirSync(dataDir, { recursive: true })

// noServer: every upgrade on any path (/, /v1/sync, ...) is handed to the sync adapter.
const wss = new WebSocketServer({ noServer: true })
const repo = new Repo({
  network: [new WebSocketServerAdapter(wss)],
  storage: new NodeFSStorageAdapter(dataDir),
  peerId: "reference-sync-server",
  // A server does not share generously: it only syncs documents a peer asks for by id.
  sharePolicy: async () => false,
})

const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" })
  res.end("reference automerge-repo sync server is running\n")
})
server.on("upgrade", (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, ws => wss.emit("connection", ws, request))
})
server.listen(port, "127.0.0.1", () => {
  console.log(`listening 127.0.0.1:${server.address().port}`)
})

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  setTimeout(() => process.exit(1), 5000).unref()
  wss.close() // the adapter drops its sockets and stops its keep-alive timer
  server.close()
  await repo.shutdown() // writes out what the debounced saves still hold
  process.exit(0)
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
