import { Redacted as R, type Redacted } from "effect"
import type { MiddlewareHandler } from "hono"
import { timingSafeEqual } from "hono/utils/buffer"
import { Unauthorized } from "../Errors.js"
import { problemFor, problemResponse } from "./problem.js"

const BEARER = /^Bearer\s+(.+)$/i

/** Requires `Authorization: Bearer <token>`, compared in constant time. */
export const bearerAuth = (token: Redacted.Redacted<string>): MiddlewareHandler => {
  const expected = R.value(token)
  return async (c, next) => {
    const presented = BEARER.exec(c.req.header("authorization") ?? "")?.[1]
    if (presented === undefined || !(await timingSafeEqual(presented, expected))) {
      return problemResponse(problemFor(new Unauthorized()), { "www-authenticate": "Bearer" })
    }
    await next()
  }
}
