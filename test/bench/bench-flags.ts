/** A benchmark's numeric flag (`--duration 3`) from its command line, or `fallback` when not given. */
export function numberFlag(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  return args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback;
}
