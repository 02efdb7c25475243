import type { Kysely } from "kysely";
import type { Database, DeploymentFileRow, DeploymentRow } from "./schema.js";
import type { NamePage } from "./store.js";

/** Deployed apps: every deploy is a new version; the newest one serves. */
export function createDeploymentStore(db: Kysely<Database>) {
  return {
    insert: (row: DeploymentRow) => db.insertInto("deployments").values(row).execute(),
    insertFiles: async (rows: readonly DeploymentFileRow[]) => {
      // One row at a time: a deploy's files may be many megabytes, over a statement's parameter limits.
      for (const row of rows) await db.insertInto("deploymentFiles").values(row).execute();
    },
    /** The file contents a deploy took for its functions. */
    files: (deploymentId: string) =>
      db
        .selectFrom("deploymentFiles")
        .select(["sha256", "content"])
        .where("deploymentId", "=", deploymentId)
        .execute(),
    /** The newest deploy's version and time, without its code or functions. */
    latestHead: (environmentId: string, appName: string) =>
      db
        .selectFrom("deployments")
        .select(["version", "createdAt"])
        .where("environmentId", "=", environmentId)
        .where("appName", "=", appName)
        .orderBy("version", "desc")
        .limit(1)
        .executeTakeFirst(),
    latest: (environmentId: string, appName: string) =>
      db
        .selectFrom("deployments")
        .selectAll()
        .where("environmentId", "=", environmentId)
        .where("appName", "=", appName)
        .orderBy("version", "desc")
        .limit(1)
        .executeTakeFirst(),
    /** The newest deploy of each app, without the code. */
    /** Each app's newest deploy, in name order. */
    listLatest: (environmentId: string, page: NamePage) => {
      let query = db
        .selectFrom("deployments as d")
        .select(["d.appName", "d.version", "d.functions", "d.createdAt", "d.createdBy"])
        .where("d.environmentId", "=", environmentId)
        .where(({ eb, selectFrom }) =>
          eb(
            "d.version",
            "=",
            selectFrom("deployments as newer")
              .select(({ fn }) => fn.max("newer.version").as("version"))
              .whereRef("newer.environmentId", "=", "d.environmentId")
              .whereRef("newer.appName", "=", "d.appName"),
          ),
        );
      if (page.after !== undefined) query = query.where("d.appName", ">", page.after);
      return query.orderBy("d.appName").limit(page.limit).execute();
    },
  };
}
