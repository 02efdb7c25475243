// The baseline of the resolve benchmark: Fastify answering the resolve route with a fixed JSON
// object of the same shape and size, with no store, no auth and no logger. Prints its URL.
import Fastify from "fastify";
import { benchSecrets } from "./resolve-secrets.js";

const answer = { secrets: benchSecrets.map(({ name, values }) => ({ name, version: 1, values })) };

const app = Fastify({ logger: false });
app.post("/v1/environments/:environment/resolve", async () => answer);
const url = await app.listen({ host: "127.0.0.1", port: 0 });
console.log(`Bare Fastify listening on ${url}`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
