// "Did you mean": the one closeness rule behind every suggestion helm-doctor makes, on the command line and in
// Slack (commands, options, release names).

export function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/**
 * The candidates close to `input`, closest first (at most `max`): a typo away (two edits; one for inputs of three
 * characters or fewer, where two would match nearly anything), or one containing the other (from three
 * characters: "pay" → "payments-api").
 */
export function closest(input: string, candidates: Iterable<string>, max = 5): string[] {
  const typo = input.length <= 3 ? 1 : 2;
  const scored: { c: string; d: number }[] = [];
  for (const c of new Set(candidates)) {
    if (c === input) continue;
    const d = levenshtein(c, input);
    const contains = (input.length >= 3 && c.includes(input)) || (c.length >= 3 && input.includes(c));
    if (d <= typo || contains) scored.push({ c, d });
  }
  return scored
    .sort((a, b) => a.d - b.d)
    .slice(0, max)
    .map((s) => s.c);
}
