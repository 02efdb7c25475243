import type { LockboxApi } from "@lockbox/server";
import { connect } from "../client/connect.js";

/** Runs `action` with a connection to Lockbox, closed afterwards whatever happens. */
export async function withApi<T>(action: (api: LockboxApi) => Promise<T>): Promise<T> {
  const connection = await connect();
  try {
    return await action(connection.api);
  } finally {
    await connection.close();
  }
}
