/**
 * Masks an API key as Stripe does: its first eight characters (such as `sk_test_`) and its last
 * four, so error bodies, client logs and the bin's output never carry a whole secret. Keys of 12
 * characters or fewer are masked entirely.
 *
 * @internal
 */
export const redact = (key: string): string => key.length <= 12 ? "****" : `${key.slice(0, 8)}****${key.slice(-4)}`
