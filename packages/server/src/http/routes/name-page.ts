import { z } from "zod";
import { schemas } from "../../shared/schemas.js";

/** Lists in name order: a page of `limit` (default 100, at most 1000) after the name `after`. */
export const namePage = z.object({
  limit: schemas.pageLimit.optional(),
  after: z.string().min(1).max(100).optional(),
});
