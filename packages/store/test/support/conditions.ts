// Vitest starts its workers with `--conditions` for every SSR condition. With `import` among
// them, Node's `require` picks packages' ESM entries, and `pg` then fails to load
// (`require("pg-pool")` returns a module namespace), so the store's tests resolve only with
// `source` and `node`.
export const serverConditions = {
  resolve: { conditions: ["source", "node"], externalConditions: ["source"] }
}
