// The guide's first example: one named secret, `secret-keys`, holding MY_PASSWORD.
//   lockbox secret create secret-keys MY_PASSWORD=…
//   lockbox run examples/secret-keys.ts::someFunction
import { App, Secret } from "lockbox";

const app = new App();

export const someFunction = app.function({ secrets: [Secret.fromName("secret-keys")] }, async () => {
  const secretKey = process.env.MY_PASSWORD;
  console.log(`MY_PASSWORD is set: ${secretKey !== undefined}`);
  console.log(`MY_PASSWORD is ${secretKey}`); // masked as *** in the output you see
});
