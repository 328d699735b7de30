/**
 * A real local HTTP server for source tests: serves recorded responses and scripted faults on a
 * free loopback port. Routes are matched by method + path (query string ignored unless the route's
 * `path` contains `?`). Every request is recorded so tests can assert what was sent.
 */
import { Effect } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly path: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

/** A scripted response. `hang` never answers; `destroy` resets the connection; `truncate` sends only that many body bytes then closes. */
export interface Reply {
  readonly status?: number
  readonly headers?: Record<string, string>
  readonly body?: string | Uint8Array
  readonly hang?: boolean
  readonly destroy?: boolean
  readonly truncate?: number
}

/** A handler returns a reply for a request; a list of replies is served in order, the last one repeating. */
export type Handler = ((request: RecordedRequest) => Reply | Promise<Reply>) | Reply | ReadonlyArray<Reply>

export interface TestServer {
  readonly url: string
  readonly requests: Array<RecordedRequest>
  /** Replaces or adds the handler for `METHOD /path`. */
  readonly route: (method: string, path: string, handler: Handler) => void
  readonly reset: () => void
}

const respond = (res: Http.ServerResponse, reply: Reply) => {
  if (reply.hang) return
  if (reply.destroy) {
    res.socket?.destroy()
    return
  }
  const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body as Uint8Array | string)
  res.writeHead(reply.status ?? 200, { "content-length": String(body.length), ...reply.headers })
  if (reply.truncate !== undefined) {
    res.write(body.subarray(0, reply.truncate), () => res.socket?.destroy())
    return
  }
  res.end(body)
}

/** Starts a server for the scope's lifetime (closed, hung connections included, on release). */
export const makeTestServer = (routes: Record<string, Handler> = {}): Effect.Effect<TestServer, never, import("effect").Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: Http.Server; api: TestServer }>((resume) => {
      const table = new Map<string, Handler>(Object.entries(routes))
      const counters = new Map<string, number>()
      const requests: Array<RecordedRequest> = []
      const server = Http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const url = req.url ?? "/"
          const path = url.split("?")[0]!
          const recorded: RecordedRequest = {
            method: req.method ?? "GET",
            url,
            path,
            headers: req.headers,
            body: Buffer.concat(chunks).toString("utf8")
          }
          requests.push(recorded)
          const key = table.has(`${recorded.method} ${url}`) ? `${recorded.method} ${url}` : `${recorded.method} ${path}`
          const handler = table.get(key)
          if (handler === undefined) {
            respond(res, { status: 404, body: `no route for ${key}` })
            return
          }
          if (typeof handler === "function") {
            Promise.resolve(handler(recorded)).then((reply) => respond(res, reply), (error) =>
              respond(res, { status: 500, body: String(error) }))
            return
          }
          if (Array.isArray(handler)) {
            const n = counters.get(key) ?? 0
            counters.set(key, n + 1)
            respond(res, handler[Math.min(n, handler.length - 1)]!)
            return
          }
          respond(res, handler as Reply)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({
          server,
          api: {
            url: `http://127.0.0.1:${port}`,
            requests,
            route: (method, path, handler) => {
              table.set(`${method} ${path}`, handler)
              counters.delete(`${method} ${path}`)
            },
            reset: () => {
              requests.length = 0
              counters.clear()
            }
          }
        }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ api }) => api))
