/**
 * Waits for a state, not for time: polls `condition` (every few milliseconds) until it holds. No
 * deadline of its own: the test's timeout is the bound, so a slow machine only makes it slower.
 */
export async function until(condition: () => boolean | Promise<boolean>, everyMs = 2): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, everyMs));
}
