import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { inflateSync } from "node:zlib";
import { tempDir } from "../helpers.js";

/**
 * Headless Chromium (Debian's /usr/bin/chromium, which .ci/run installs) driven over the DevTools protocol on
 * `--remote-debugging-pipe`: no npm driver, no browser download, and every console message, exception and
 * network request is an event we see, not a log line we parse.
 */
export const CHROMIUM = process.env.PAVED_CHROMIUM ?? "/usr/bin/chromium";

export interface PageVisit {
  /** console.* calls, uncaught exceptions and browser log entries at warning level or above. */
  consoleErrors: string[];
  /** Every request the page made besides loading itself. */
  requests: string[];
  text: string;
  png: Buffer;
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

export async function visit(url: string, viewport = { width: 1280, height: 900 }): Promise<PageVisit> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does) or set PAVED_CHROMIUM`);
  const child = spawn(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--remote-debugging-pipe",
      `--user-data-dir=${tempDir("paved-chromium-")}`,
      "--no-first-run",
      "--disable-extensions",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] },
  );
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  let nextId = 1;
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let buffer = "";
  fromBrowser.setEncoding("utf8");
  fromBrowser.on("data", (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf("\0"); end >= 0; end = buffer.indexOf("\0")) {
      const message = JSON.parse(buffer.slice(0, end)) as Message;
      buffer = buffer.slice(end + 1);
      if (message.id !== undefined && pending.has(message.id)) {
        const waiter = pending.get(message.id)!;
        pending.delete(message.id);
        if (message.error) waiter.reject(new Error(message.error.message));
        else waiter.resolve(message);
      } else {
        for (const l of listeners) l(message);
      }
    }
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Message>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
    });

  const consoleErrors: string[] = [];
  const requests: string[] = [];
  let loaded!: () => void;
  const load = new Promise<void>((resolve) => (loaded = resolve));
  listeners.push((m) => {
    const p = m.params ?? {};
    if (m.method === "Runtime.consoleAPICalled") consoleErrors.push(`console.${String(p.type)}: ${JSON.stringify(p.args)}`);
    if (m.method === "Runtime.exceptionThrown") consoleErrors.push(`exception: ${JSON.stringify(p.exceptionDetails)}`);
    if (m.method === "Log.entryAdded") {
      const entry = p.entry as { level: string; text: string; url?: string };
      if (entry.level === "error" || entry.level === "warning") consoleErrors.push(`${entry.level}: ${entry.text}`);
    }
    if (m.method === "Network.requestWillBeSent") {
      const requestUrl = (p.request as { url: string }).url;
      if (requestUrl !== url) requests.push(requestUrl);
    }
    if (m.method === "Page.loadEventFired") loaded();
  });

  try {
    const { result: target } = await send("Target.createTarget", { url: "about:blank" });
    const { result: attached } = await send("Target.attachToTarget", { targetId: target!.targetId, flatten: true });
    const session = attached!.sessionId as string;
    for (const domain of ["Page", "Runtime", "Log", "Network"]) await send(`${domain}.enable`, {}, session);
    await send("Emulation.setDeviceMetricsOverride", { ...viewport, deviceScaleFactor: 1, mobile: false }, session);
    await send("Page.navigate", { url }, session);
    await load;
    const { result: evaluated } = await send("Runtime.evaluate", { expression: "document.body.innerText", returnByValue: true }, session);
    const text = (evaluated!.result as { value: string }).value;
    const { result: shot } = await send("Page.captureScreenshot", { format: "png" }, session);
    return { consoleErrors, requests, text, png: Buffer.from(shot!.data as string, "base64") };
  } finally {
    await send("Browser.close").catch(() => undefined);
    child.kill();
  }
}

/** Pixels of an 8-bit RGB(A), non-interlaced PNG (what Chromium's screenshots are) that are not near white. */
export function nonWhitePixels(png: Buffer): { width: number; height: number; count: number } {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const depth = png[24]!;
  const colour = png[25]!;
  if (depth !== 8 || (colour !== 2 && colour !== 6) || png[28] !== 0)
    throw new Error(`unsupported PNG (depth ${depth}, colour type ${colour})`);
  const channels = colour === 6 ? 4 : 3;
  const chunks: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    if (type === "IDAT") chunks.push(png.subarray(at + 8, at + 8 + length));
    at += length + 12;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  const stride = width * channels;
  const previous = Buffer.alloc(stride);
  const line = Buffer.alloc(stride);
  let count = 0;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? line[x - channels]! : 0;
      const up = previous[x]!;
      const upLeft = x >= channels ? previous[x - channels]! : 0;
      const p = left + up - upLeft;
      const pa = Math.abs(p - left);
      const pb = Math.abs(p - up);
      const pc = Math.abs(p - upLeft);
      const paeth = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      const predictor = [0, left, up, (left + up) >> 1, paeth][filter]!;
      line[x] = (row[x]! + predictor) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const i = x * channels;
      if (line[i]! < 240 || line[i + 1]! < 240 || line[i + 2]! < 240) count++;
    }
    line.copy(previous);
  }
  return { width, height, count };
}
