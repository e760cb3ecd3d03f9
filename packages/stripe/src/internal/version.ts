/**
 * The version of this package, sent in the User-Agent header. A test keeps it equal to the
 * `version` in package.json.
 *
 * @internal
 */
export const libraryVersion = "0.1.0"

/**
 * The User-Agent header of every request.
 *
 * @internal
 */
export const userAgent = `workflow-runs-stripe/${libraryVersion} (+@workflow-runs/stripe; effect)`
