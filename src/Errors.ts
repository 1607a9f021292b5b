import { Schema } from "effect"

export class SourceNotFound extends Schema.TaggedError<SourceNotFound>()("SourceNotFound", {
  source: Schema.String,
}) {}

export class ResourceNotFound extends Schema.TaggedError<ResourceNotFound>()("ResourceNotFound", {
  resourceId: Schema.String,
}) {}

export class VersionNotFound extends Schema.TaggedError<VersionNotFound>()("VersionNotFound", {
  resourceId: Schema.String,
  version: Schema.Number,
}) {}

export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  detail: Schema.String,
}) {}

export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {}) {}

export class UpstreamTimeout extends Schema.TaggedError<UpstreamTimeout>()("UpstreamTimeout", {
  source: Schema.String,
  timeoutMs: Schema.Number,
}) {}

export class UpstreamUnreachable extends Schema.TaggedError<UpstreamUnreachable>()(
  "UpstreamUnreachable",
  { source: Schema.String, reason: Schema.String },
) {}

export class UpstreamStatus extends Schema.TaggedError<UpstreamStatus>()("UpstreamStatus", {
  source: Schema.String,
  status: Schema.Number,
}) {}

export class UpstreamInvalidJson extends Schema.TaggedError<UpstreamInvalidJson>()(
  "UpstreamInvalidJson",
  { source: Schema.String },
) {}

export class UpstreamTooLarge extends Schema.TaggedError<UpstreamTooLarge>()("UpstreamTooLarge", {
  source: Schema.String,
  limitBytes: Schema.Number,
}) {}

export class UpstreamRedirect extends Schema.TaggedError<UpstreamRedirect>()("UpstreamRedirect", {
  source: Schema.String,
  status: Schema.Number,
}) {}

export type UpstreamError =
  | UpstreamTimeout
  | UpstreamUnreachable
  | UpstreamStatus
  | UpstreamInvalidJson
  | UpstreamTooLarge
  | UpstreamRedirect

export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  operation: Schema.String,
  cause: Schema.Defect,
}) {}

/** Every failure a route can answer with; the HTTP edge maps each tag to a status and code. */
export type ApiError =
  | SourceNotFound
  | ResourceNotFound
  | VersionNotFound
  | InvalidRequest
  | Unauthorized
  | UpstreamError
  | DatabaseError
