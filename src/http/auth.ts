import { Redacted as R, type Redacted } from "effect"
import type { MiddlewareHandler } from "hono"
import { timingSafeEqual } from "hono/utils/buffer"
import { Unauthorized } from "../Errors.js"
import { problemFor, problemResponse } from "./problem.js"

const BEARER = /^Bearer\s+(.+)$/i

/** Whether an `Authorization` header presents `expected` as its bearer token, compared in constant time. */
export const presentsToken = async (header: string | undefined, expected: string) => {
  const presented = BEARER.exec(header ?? "")?.[1]
  return presented !== undefined && (await timingSafeEqual(presented, expected))
}

/** Requires `Authorization: Bearer <token>`. */
export const bearerAuth = (token: Redacted.Redacted<string>): MiddlewareHandler => {
  const expected = R.value(token)
  return async (c, next) => {
    if (!(await presentsToken(c.req.header("authorization"), expected))) {
      return problemResponse(problemFor(new Unauthorized()), { "www-authenticate": "Bearer" })
    }
    await next()
  }
}
