// A local stand-in for Slack's Socket Mode endpoint: the fake Slack's apps.connections.open hands out a ws:// URL
// to this WebSocket server, which greets the client with "hello" (as Slack does) and delivers envelopes; the app
// acks each one on the socket with {envelope_id, payload}. Only what Bolt's SocketModeReceiver needs.
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import type { FakeSlack } from "./fake-slack/index.js";
import { type SlashCommandFields, slashCommandFields } from "./slack-request.js";

export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface SocketModeStandIn {
  /** Resolves once a client has connected and been greeted. */
  connected(): Promise<void>;
  /** Deliver a slash command envelope; resolves with the app's ack (its response payload, if any). */
  slashCommand(fields: SlashCommandFields, timeoutMs?: number): Promise<SocketAck>;
  /** How many connections were opened (reconnects count). */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startSocketModeStandIn(fake: FakeSlack): Promise<SocketModeStandIn> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  fake.handle("apps.connections.open", () => ({
    ok: true,
    url: `ws://127.0.0.1:${port}/link/?ticket=${randomUUID()}`,
  }));

  let socket: WebSocket | undefined;
  let connections = 0;
  const waiting: (() => void)[] = [];
  const acks = new Map<string, (a: SocketAck) => void>();

  wss.on("connection", (ws) => {
    connections++;
    socket = ws;
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as SocketAck;
      acks.get(msg.envelope_id)?.(msg);
      acks.delete(msg.envelope_id);
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: 1,
        debug_info: { host: "applink-test", build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: fake.appId },
      }),
    );
    for (const w of waiting.splice(0)) w();
  });

  return {
    connected: () => (socket ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve))),
    slashCommand: (fields, timeoutMs = 3000) => {
      if (!socket) return Promise.reject(new Error("no Socket Mode client is connected"));
      const envelope_id = randomUUID();
      const payload = slashCommandFields(fields);
      const acked = new Promise<SocketAck>((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`no ack for envelope ${envelope_id} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        acks.set(envelope_id, (a) => {
          clearTimeout(t);
          resolve(a);
        });
      });
      socket.send(
        JSON.stringify({ envelope_id, type: "slash_commands", accepts_response_payload: true, payload }),
      );
      return acked;
    },
    get connections() {
      return connections;
    },
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
