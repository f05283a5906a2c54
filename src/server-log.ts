/** Where the server's life writes: start-up lines, warnings and failures. */
export interface ServerLog {
  info(message: string): void;
  error(message: string, error?: unknown): void;
}

/** The process's console, each line prefixed with `predictql: `. */
export const consoleLog: ServerLog = {
  info: (message) => console.log(`predictql: ${message}`),
  error: (message, error) => (error === undefined ? console.error(`predictql: ${message}`) : console.error(`predictql: ${message}`, error)),
};
