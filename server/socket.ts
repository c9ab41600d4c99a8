// The live event stream over socket.io (docs/events.md, "Transport").
// Client -> server: `subscribe {runId, after?}` (ack: {ok, status} once the history is sent),
//                   `unsubscribe {runId}`.
// Server -> client: `events {runId, events: [{runId, seq, type, nodeId?, step?, data}]}` in seq
//                   order, history first, then live batches every 100 ms;
//                   `runs <RunStatus>` to everyone whenever a run's state or progress changes.
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { z } from 'zod';
import type { Access } from './access';
import { isRunId } from './runs/ids';
import type { RunManager } from './runs/manager';
import type { WireEvent } from './runs/run-folders';

export const Subscribe = z.object({
  runId: z.string().refine(isRunId, 'not a run id'),
  /** The last seq the client already has; history starts after it. */
  after: z.number().int().min(0).default(0),
});
export const Unsubscribe = z.object({ runId: z.string() });

export type SubscribeAck = { ok: true; status: unknown } | { ok: false; error: string };

/** Messages the server sends (for typed clients). */
export interface ServerToClient {
  events: (batch: { runId: string; events: WireEvent[] }) => void;
  runs: (status: unknown) => void;
}

/**
 * Attaches socket.io to `server` at /socket.io. `access` gives the server's access rules (it is
 * made once the port is known): Host and Origin are checked on every engine.io request (polling
 * and upgrade; socket.io sends no CORS headers, so other sites cannot read polling replies
 * either), and the token, when required, before a client joins: `auth.token` in the handshake,
 * or the cookie / Authorization header of a page opened with ?token=.
 * @example const io = attachSocket(httpServer, manager, { access: () => access });
 */
export function attachSocket(server: HttpServer, manager: RunManager, options: { access: () => Access }): Server {
  const io = new Server(server, {
    serveClient: false,
    // Leave other upgrade requests (Next's dev HMR socket) to their own listeners.
    destroyUpgrade: false,
    allowRequest: (req, callback) => {
      const verdict = options.access().checkOrigin(req);
      callback(verdict.ok ? null : verdict.error, verdict.ok);
    },
  });
  io.use((socket, next) => {
    const access = options.access();
    if (!access.tokenRequired) return next();
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    if (access.isToken(auth?.token) || access.requestHasToken(socket.request)) return next();
    next(new Error('unauthorized: this server needs its access token (auth: { token })'));
  });

  io.on('connection', (socket) => {
    const watching = new Map<string, { close(): void }>();

    socket.on('subscribe', (raw: unknown, ack?: (reply: SubscribeAck) => void) => {
      const reply = typeof ack === 'function' ? ack : () => {};
      const parsed = Subscribe.safeParse(raw);
      if (!parsed.success) return reply({ ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ') });
      const { runId, after } = parsed.data;
      const status = manager.get(runId);
      if (!status) return reply({ ok: false, error: `no run ${runId}` });
      if (after > status.lastSeq) return reply({ ok: false, error: `after (${after}) is beyond the run's last event (${status.lastSeq})` });
      watching.get(runId)?.close(); // a second subscribe restarts from its own `after`
      const watch = manager.hub.watch(runId, after, (events) => socket.emit('events', { runId, events }), socket.id);
      watching.set(runId, watch);
      watch.ready.then(
        () => reply({ ok: true, status: manager.get(runId) }),
        (e: Error) => reply({ ok: false, error: e.message }),
      );
    });

    socket.on('unsubscribe', (raw: unknown) => {
      const parsed = Unsubscribe.safeParse(raw);
      if (!parsed.success) return;
      watching.get(parsed.data.runId)?.close();
      watching.delete(parsed.data.runId);
    });

    socket.on('disconnect', () => {
      for (const watch of watching.values()) watch.close();
      watching.clear();
    });
  });

  // Live batches for up-to-date watchers: one packet, encoded once, to every socket in the list
  // (each socket is in a room named by its id).
  manager.hub.useBroadcaster((runId, socketIds, events) => io.to(socketIds).emit('events', { runId, events }));
  manager.onStatus((status) => io.emit('runs', status));
  return io;
}
