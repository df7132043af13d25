/**
 * A stand-in for Azure Database for PostgreSQL's Microsoft Entra sign-in in front of a local PostgreSQL server: it asks
 * every connecting client for a cleartext password (PostgreSQL wire protocol, AuthenticationCleartextPassword — what
 * Azure asks when the password is a token), checks it, and only then connects the client to the real server, whose
 * own authentication (trust, on the test server) then succeeds. A refused password gets PostgreSQL's own error
 * (SQLSTATE 28P01), so the driver reports it as the real server would.
 */
import { createConnection, createServer, type Socket } from "node:net";

export interface PasswordProxy {
  readonly port: number;
  /** Every password presented, in order, with the user it was presented for. */
  readonly attempts: { user: string; password: string; accepted: boolean }[];
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/** Reads exactly `length` bytes from a socket's buffered stream. */
function reader(socket: Socket): (length: number) => Promise<Buffer> {
  let buffered = Buffer.alloc(0);
  let waiting: { length: number; resolve: (data: Buffer) => void; reject: (error: Error) => void } | undefined;
  const settle = () => {
    if (waiting && buffered.length >= waiting.length) {
      const { length, resolve } = waiting;
      waiting = undefined;
      const data = buffered.subarray(0, length);
      buffered = buffered.subarray(length);
      resolve(data);
    }
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    settle();
  };
  socket.on("data", onData);
  socket.on("close", () => waiting?.reject(new Error("client went away")));
  return (length) =>
    new Promise((resolve, reject) => {
      waiting = { length, resolve, reject };
      settle();
    });
}

function errorResponse(message: string): Buffer {
  const fields = Buffer.concat([Buffer.from("SFATAL\0VFATAL\0C28P01\0", "utf8"), Buffer.from(`M${message}\0`, "utf8"), Buffer.from([0])]);
  const header = Buffer.alloc(5);
  header.write("E", 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

export async function startPasswordProxy(
  upstream: { host: string; port: number },
  accept: (password: string, user: string) => boolean,
): Promise<PasswordProxy> {
  const attempts: PasswordProxy["attempts"] = [];
  const sockets = new Set<Socket>();

  const handle = async (client: Socket) => {
    client.pause();
    const read = reader(client);
    client.resume();
    let startup: Buffer;
    for (;;) {
      const lengthBytes = await read(4);
      const length = lengthBytes.readInt32BE(0);
      const rest = await read(length - 4);
      const code = rest.readInt32BE(0);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        client.write("N"); // no encryption on this loopback stand-in
        continue;
      }
      if (code === CANCEL_REQUEST) {
        const upstreamSocket = createConnection(upstream);
        upstreamSocket.end(Buffer.concat([lengthBytes, rest]));
        client.end();
        return;
      }
      startup = Buffer.concat([lengthBytes, rest]);
      break;
    }
    const parameters = startup.subarray(8).toString("utf8").split("\0");
    const user = parameters[parameters.indexOf("user") + 1] ?? "";

    const ask = Buffer.alloc(9);
    ask.write("R", 0);
    ask.writeInt32BE(8, 1);
    ask.writeInt32BE(3, 5); // AuthenticationCleartextPassword
    client.write(ask);
    const type = (await read(1)).toString("utf8");
    const length = (await read(4)).readInt32BE(0);
    const body = await read(length - 4);
    const password = type === "p" ? body.subarray(0, body.indexOf(0)).toString("utf8") : "";
    const accepted = type === "p" && accept(password, user);
    attempts.push({ user, password, accepted });
    if (!accepted) {
      client.end(errorResponse(`password authentication failed for user "${user}"`));
      return;
    }
    const server = createConnection(upstream);
    sockets.add(server);
    server.on("close", () => sockets.delete(server));
    server.on("error", () => client.destroy());
    client.on("error", () => server.destroy());
    server.write(startup);
    client.removeAllListeners("data");
    client.pipe(server);
    server.pipe(client);
  };

  const proxy = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    handle(client).catch(() => client.destroy());
  });
  await new Promise<void>((listening) => proxy.listen(0, "127.0.0.1", listening));
  const address = proxy.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    attempts,
    close: () =>
      new Promise<void>((closed) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => closed());
      }),
  };
}
