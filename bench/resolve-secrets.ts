// The secrets the resolve benchmark reads: 3 of 10 keys each, with fake 32-character values.

/** `{ name, values }` of each benchmark secret. */
export const benchSecrets = Array.from({ length: 3 }, (_, s) => ({
  name: `bench-secret-${s}`,
  values: Object.fromEntries(
    Array.from({ length: 10 }, (_, k) => [`KEY_${k}`, `bench-value-${s}-${k}-`.padEnd(32, "x")]),
  ),
}));

/** The body of `POST /v1/environments/main/resolve` naming every benchmark secret. */
export const resolveBody = JSON.stringify({ secrets: benchSecrets.map(({ name }) => ({ name })) });
