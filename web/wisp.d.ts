// Types of wisp.js, the client of a wisp event hub ({"type", "data", "id"} JSON envelopes).

/** A message as the hub sends it. */
export interface Envelope<T = unknown> {
  type: string;
  data: T;
  id?: number | string;
  /** Present when the server awaits an answer (Hub::send_to with a callback): see Ack. */
  ack?: number | string;
  /** A message of a room with history (the server's HubSettings::history): its room, its offset
   * in the room's stream (1, 2, 3...) and the stream's epoch (new when the history was lost). */
  room?: string;
  offset?: number;
  epoch?: string;
}

/** Where a client stands in a room with history: the last offset seen and its epoch. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

/** A room with history joined again after a reconnect, with {since: position}. */
export interface RecoveryResult {
  room: string;
  /** true: every message missed meanwhile came (before this), in order and once each. */
  recovered: boolean;
  /** When not recovered: "epoch changed" (the history was lost, e.g. a server restart),
   * "history trimmed" (missed messages are gone: size or age), "too many missed" (past the
   * server's max_recover), or the join's error code. The app should reload the room's state. */
  reason?: string;
  /** The room's position after the join (the next messages follow it). */
  offset?: number;
  epoch?: string;
}

/**
 * Answers a message the server sent with an ack: {"type":"ack","id":<its ack>,"data":answer}.
 * Only the first answer counts (a handler's ack() or the value its promise resolves to); an
 * answer after the connection dropped is not sent. A handler that throws or rejects answers with
 * {"error":{"code","message"}} (the error's string code, else "handler_error"); a message of a
 * type with no handler is answered "unknown_type".
 */
export type Ack = (answer?: unknown) => void;

/** A message handler; `ack` is given when the server awaits an answer. */
export type Handler<T = any> = (data: T, message: Envelope<T>, ack?: Ack) => void | Promise<unknown>;

/** The data of an error envelope. */
export interface ErrorData {
  code: string;
  message: string;
  [key: string]: unknown;
}

/** An error answer from the hub, or a request that could not get one. */
export class WispError extends Error {
  constructor(code: string, message: string, data?: unknown);
  /**
   * The error envelope's code ("unknown_type", "invalid_json", "rate_limited", "handler_error",
   * or a handler's own), or, from this side: "timeout" (no answer in time), "disconnected" (the
   * connection dropped after the request was written), "closed" (the client was closed or gave
   * up reconnecting), "queue_full" (too many messages wait for the connection).
   */
  readonly code: string;
  /** The error envelope's whole data (undefined for errors from this side). */
  readonly data?: ErrorData;
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateDetail {
  /** open: true when this open follows a lost connection (register and joins were sent again). */
  reconnected?: boolean;
  /** reconnecting: the attempt number (1, 2, ...) and the delay before it, in ms. */
  attempt?: number;
  delay?: number;
  /** reconnecting, closed: the close code and reason of the connection that ended. */
  code?: number;
  reason?: string;
}

/** One register or join sent again after a reconnect, with the server's answer. */
export interface ResumeAnswer {
  type: string;
  data: unknown;
  response?: unknown;
  error?: WispError;
}

export interface WispClientOptions {
  /** The WebSocket class (default: globalThis.WebSocket; in Node 20, pass the "ws" package's). */
  WebSocket?: new (url: string, protocols?: string | string[]) => WebSocket;
  /** Subprotocols to offer. */
  protocols?: string | string[];
  /** Reconnect when the connection drops or cannot be made (default true). */
  reconnect?: boolean;
  /** Backoff: the first delay (500 ms), the largest (10000 ms), the growth per attempt (2). */
  initialDelay?: number;
  maxDelay?: number;
  factor?: number;
  /** Each delay is shortened by up to this fraction of itself, at random (0.5). */
  jitter?: number;
  /** Reconnection attempts in a row before giving up and closing (Infinity). */
  attempts?: number;
  /** Close codes after which the client closes instead of reconnecting ([1000, 1008]). */
  finalCloseCodes?: number[];
  /** A request's timeout in ms unless request() says otherwise (10000; 0: none). */
  requestTimeout?: number;
  /** Messages that may wait for the connection (1000); beyond, send/request fail "queue_full". */
  queueLimit?: number;
  /** The message type whose last data is sent again after a reconnect ("register"). */
  registerType?: string;
  /** Types that join the room in data.room (["join", "join_room"]) or leave it (["leave", "leave_room"]). */
  joinTypes?: string[];
  leaveTypes?: string[];
}

export class WispClient {
  /** Connects at once. `url`: ws://..., wss://..., or a path on the page's host ("/ws"). */
  constructor(url: string, options?: WispClientOptions);

  readonly url: string;
  readonly state: ConnectionState;
  /** The client id from the server's welcome message (null until it arrives). */
  readonly clientId: string | null;
  /** The rooms joined (sent again after a reconnect). */
  readonly rooms: string[];
  /** The last position seen in a joined room with history; sent as data.since on re-join. */
  position(room: string): StreamPosition | undefined;
  /** Calls fn for each room with history joined again after a reconnect; returns a function
   * that stops it. */
  onRecovery(fn: (result: RecoveryResult) => void): () => void;

  /**
   * Calls fn(data, message, ack) for each message of this type; "*" for every message. For a
   * message sent with an ack, ack(answer) or an async handler's result answers the server.
   */
  on<T = any>(type: string, fn: Handler<T>): this;
  off(type: string, fn: Handler): this;

  /**
   * Sends {type, data}. While the connection is down the message waits in a queue and is sent
   * once it is back. Throws a WispError "closed" after close(), "queue_full" past queueLimit.
   */
  send(type: string, data?: unknown): void;
  /**
   * Sends {type, data, id} (queued like send while the connection is down) and resolves with the
   * response's data; rejects with a WispError (see WispError.code).
   */
  request<T = any>(type: string, data?: unknown, options?: { timeout?: number }): Promise<T>;

  /** Calls fn on every state change; returns a function that stops it. */
  onState(fn: (state: ConnectionState, detail: StateDetail) => void): () => void;
  /** Calls fn after a reconnect, once the register and joins sent again were answered. */
  onResume(fn: (answers: ResumeAnswer[]) => void): () => void;
  /** Resolves once the connection is open; rejects with "closed" if the client closes first. */
  opened(): Promise<void>;
  /** Closes for good: no reconnection; queued and awaited requests reject with "closed". */
  close(code?: number, reason?: string): void;
}
