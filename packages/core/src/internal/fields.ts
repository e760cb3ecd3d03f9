import * as Schema from "effect/Schema"

/**
 * A nullable field that may also be absent. Decoding keeps `null` as `null` and leaves an
 * absent key absent, so encoding reproduces the input exactly.
 *
 * @internal
 */
export const nullable = <S extends Schema.Schema.Any>(schema: S) =>
  Schema.optionalWith(Schema.NullOr(schema), { exact: true })

/**
 * A JSON object whose keys are not modelled (Stripe's `{}` details and input parameters). Every
 * key is kept, so fields added by a later API version survive a round trip. Generated values are
 * JSON, as on the wire.
 *
 * @internal
 */
export const OpenObject = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  arbitrary: () => (fc) => fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 })
})
