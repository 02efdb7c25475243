import { request as httpRequest } from "node:http";

/** An ephemeral run's start as answered: its id and what closes its stream, or the refusal's text. */
export interface StartedTestRun {
  status: number;
  id: string;
  text: string;
  close(): void;
  /** Resolves once the server has ended the stream (or it was closed). */
  ended: Promise<void>;
}

/**
 * Starts an ephemeral run at `baseUrl` as `token` and holds its stream open until `close`
 * (node:http, whose `destroy` closes the socket and nothing else: undici's abort leaves a fresh
 * connection behind, which holds a closing server for a minute).
 */
export function openRun(baseUrl: string, token: string, body: unknown, environment = "main") {
  return new Promise<StartedTestRun>((resolve, reject) => {
    const request = httpRequest(`${baseUrl}/v1/environments/${environment}/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
    request.on("error", reject);
    request.on("response", (response) => {
      const ended = new Promise<void>((done) => response.once("close", done));
      let text = "";
      response.on("data", (chunk) => {
        text += String(chunk);
        if (response.statusCode !== 200 || !text.includes("\n")) return;
        const id = (JSON.parse(text.slice(0, text.indexOf("\n"))) as { run: { id: string } }).run.id;
        resolve({ status: 200, id, text, close: () => request.destroy(), ended });
      });
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, id: "", text, close() {}, ended }),
      );
    });
    request.end(JSON.stringify(body));
  });
}
