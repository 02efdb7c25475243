import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./free-port.js";

/** Whether Debian's `prometheus` package (with `promtool`) is installed; `scripts/test.sh` installs it. */
export const prometheusInstalled =
  spawnSync("prometheus", ["--version"]).status === 0 && spawnSync("promtool", ["--version"]).status === 0;

/** One series of an instant query's answer: its labels and its latest value. */
export interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

/** A real Prometheus on loopback, scraping one target every second. */
export interface PrometheusServer {
  url: string;
  /** An instant query through its HTTP API. */
  query(promql: string): Promise<QueryResult[]>;
  /** The labels of every series it holds that `match` selects. */
  series(match: string): Promise<Array<Record<string, string>>>;
  /** Resolves once `check` holds, asked again every 200 ms; rejects if Prometheus exits first. */
  until(check: () => Promise<boolean>): Promise<void>;
  stop(): Promise<void>;
}

const scrapeConfig = (target: string) =>
  ["global:", "  scrape_interval: 1s", "  scrape_timeout: 1s", "scrape_configs:"]
    .concat(["  - job_name: lockbox", "    static_configs:", `      - targets: ["${target}"]`])
    .join("\n");

async function apiGet<T>(url: string): Promise<T> {
  const answer = (await (await fetch(url)).json()) as { status: string; data: T; error?: string };
  if (answer.status !== "success") throw new Error(`Prometheus answered ${answer.status}: ${answer.error}`);
  return answer.data;
}

/**
 * Starts `prometheus` on a free loopback port with a temp storage folder, scraping `target`
 * (`HOST:PORT`, at `/metrics`) every second; ready once its own API answers.
 */
export async function startPrometheus(target: string): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), "lockbox-prometheus-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(config, scrapeConfig(target));
  const url = `http://127.0.0.1:${await freePort()}`;
  const child = spawn(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${url.slice(7)}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr.on("data", (chunk: Buffer) => {
    log = (log + String(chunk)).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let running = true;
  void exited.then(() => {
    running = false;
  });

  const server: PrometheusServer = {
    url,
    query: async (promql) =>
      (await apiGet<{ result: QueryResult[] }>(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`))
        .result,
    series: (match) => apiGet(`${url}/api/v1/series?match[]=${encodeURIComponent(match)}`),
    async until(check) {
      for (;;) {
        if (!running) throw new Error(`prometheus exited:\n${log}`);
        if (await check().catch(() => false)) return;
        await sleep(200);
      }
    },
    async stop() {
      if (running) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.until(async () => (await fetch(`${url}/-/ready`)).status === 200);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** `promtool check metrics` on `text`: its exit status and what it printed. */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
