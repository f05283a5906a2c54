/**
 * `npm run bench:scaling`: a discrete-event simulation of predictql's threaded serving (src/threads/),
 * to see where one owner thread saturates at core counts this machine does not have. Nothing runs
 * for real: every cost is an input, time is simulated (no wall clock), and a seeded PRNG makes each
 * run repeat exactly.
 *
 * What it models:
 * - a closed loop: C connections per GraphQL thread, each pinned to its thread (SO_REUSEPORT spreads
 *   connections, not requests) and sending its next request the moment the previous one is answered;
 * - N GraphQL threads, each one CPU serving its tasks in order: a request's work before its job is
 *   sent (HTTP, parse, validate, execute, encode) and after its answer comes (fields, serialization);
 * - one job per request, of --rows rows, for one of M models chosen at random; model m belongs to
 *   owner m mod K (K = 1 is predictql today: the main thread owns every model);
 * - each owner is one event loop, one CPU running its tasks in arrival order (a FIFO stands in for
 *   the loop's turns): a job's message in, the batcher's dispatch (setImmediate), the model run
 *   (onnxruntime-node runs it synchronously in a later setImmediate), and the answers, one job per
 *   turn (dynamic-batcher.ts settleInTurns);
 * - one dynamic batcher per model, as dynamic-batcher.ts: an idle model dispatches at the end of the
 *   turn, a busy one merges every job queued meanwhile into its next run (at most --max-batch-rows);
 * - with --worker, each model's runs go to an inference worker of its own (one more CPU), and the
 *   owner only moves messages.
 *
 * What it leaves out: the network and the load generator (answers reach the client at once), the
 * kernel (every thread, owner and worker has a core of its own: the N GraphQL threads of `auto`
 * sharing N cores with the owner is not modelled), GC pauses, memory bandwidth and cache contention,
 * the cost of posting a batch to an inference worker, and failures. So read its figures as the shape
 * of the curve for the inputs given, not as a forecast of a real machine.
 *
 * Flags (µs are microseconds of CPU): --thread-us, --thread-row-us, --owner-us, --owner-row-us,
 * --run-fixed-us, --run-row-us, --rows 1,10, --cores 2,16,64, --owners 1,2,4, --models M,
 * --conns-per-core C, --max-batch-rows, --worker, --jitter, --seed, --sim-ms, --warmup-ms.
 */
import { parseArgs } from 'node:util';

// Where the defaults come from. They are assumptions for the simulation, not facts about the machine
// it runs on: the run prints each input with its source.
const MEASURED_ON = 'a 2-core Intel Xeon, Node 24.21, 2026-12-02, docs/threads.md and docs/benchmarks.md';

interface Input {
  flag: string;
  value: string;
  source: string;
}

const INPUTS: Input[] = [
  {
    flag: 'thread-us',
    value: '350',
    source: `bench:floor's ~370 µs of CPU per one-prediction request less the owner's ~22, on ${MEASURED_ON}; an upper bound (contention with the load generator)`,
  },
  { flag: 'thread-row-us', value: '0', source: 'assumed: a request costs its GraphQL thread --thread-us whatever its rows' },
  {
    flag: 'owner-us',
    value: '22',
    source: `bench:owner's 21.3-25.7 µs per job (1-100 rows), model excluded, on ${MEASURED_ON}`,
  },
  { flag: 'owner-row-us', value: '0', source: 'assumed: a job costs the owner --owner-us whatever its rows (bench:owner: +0.05 µs a row)' },
  { flag: 'run-fixed-us', value: '30', source: `assumed: a model run's fixed cost, ~30 µs a run in docs/benchmarks.md (the MLP)` },
  { flag: 'run-row-us', value: '0.3', source: 'assumed: 0.32 µs a row in docs/benchmarks.md (the MLP; the GBDT is ~7-9 µs a row)' },
  { flag: 'rows', value: '1,10', source: 'rows per request, one job each' },
  { flag: 'cores', value: '2,16,64', source: 'GraphQL threads, one per core' },
  { flag: 'owners', value: '1,2,4', source: 'owner threads (1 = predictql today)' },
  { flag: 'models', value: '', source: 'assumed: requests spread evenly over this many models (default: the most owners)' },
  { flag: 'conns-per-core', value: '32', source: 'assumed: closed-loop connections per GraphQL thread' },
  { flag: 'max-batch-rows', value: '4096', source: "predictql's default PREDICTQL_MAX_BATCH_SIZE" },
  {
    flag: 'jitter',
    value: '0.2',
    source: 'assumed: each cost drawn uniformly within ±20 % of its mean, so that connections do not march in step',
  },
  { flag: 'seed', value: '1', source: 'PRNG seed' },
  { flag: 'sim-ms', value: '2000', source: 'simulated time per case' },
  { flag: 'warmup-ms', value: '1000', source: 'simulated time left out of the figures, while the queues fill' },
];

// Strict: an unknown or misspelt flag stops the run rather than being ignored.
const given: Record<string, string | boolean | undefined> = parseArgs({
  options: {
    ...Object.fromEntries(INPUTS.map(({ flag }) => [flag, { type: 'string' as const }])),
    worker: { type: 'boolean' },
  },
}).values;

const readInput = (flag: string): string => {
  const input = INPUTS.find((i) => i.flag === flag)!;
  const value = given[flag];
  return typeof value === 'string' ? value : input.value;
};
const owners = readList('owners');
const config = {
  threadUs: readNumber('thread-us'),
  threadRowUs: readNumber('thread-row-us', 0),
  ownerUs: readNumber('owner-us'),
  ownerRowUs: readNumber('owner-row-us', 0),
  runFixedUs: readNumber('run-fixed-us', 0),
  runRowUs: readNumber('run-row-us', 0),
  models: readInput('models') === '' ? Math.max(...owners) : readInteger('models'),
  connsPerCore: readInteger('conns-per-core'),
  maxBatchRows: readInteger('max-batch-rows'),
  worker: given.worker === true,
  jitter: readNumber('jitter', 0),
  seed: readInteger('seed'),
  simUs: readNumber('sim-ms') * 1000,
  warmupUs: readNumber('warmup-ms', 0) * 1000,
};
if (config.jitter >= 1) throw new RangeError(`--jitter must be below 1 (a cost cannot be negative), but got: ${config.jitter}`);
if (config.warmupUs >= config.simUs) throw new RangeError('--warmup-ms must be shorter than --sim-ms');
type Config = typeof config;

interface Case {
  rows: number;
  cores: number;
  owners: number;
}

interface CaseResult {
  requestsPerSecond: number;
  ownerBusy: number;
  threadBusy: number;
  workerBusy: number;
  rowsPerRun: number;
  latencyP50Us: number;
  latencyP99Us: number;
  ownerWaitP99Us: number;
  /** The window's two halves agree (requests within 2 %, p99 within 10 %). */
  steady: boolean;
}

interface Job {
  rows: number;
  connection: number;
  sentAtUs: number;
}

/** One simulated case: builds the threads, owners and batchers, runs the closed loop, measures the window. */
function simulate(config: Config, c: Case): CaseResult {
  const sim = new Simulation();
  const random = seededRandom(config.seed);
  const window = { fromUs: config.warmupUs, toUs: config.simUs };
  const midUs = (window.fromUs + window.toUs) / 2;
  // A cost drawn around its mean, so that the connections' requests spread out over time.
  const cost = (meanUs: number): number => meanUs * (1 + config.jitter * (2 * random() - 1));

  const ownerWaits: number[] = [];
  const threads = Array.from({ length: c.cores }, () => new Cpu(sim, window));
  const ownerCpus = Array.from({ length: c.owners }, () => new Cpu(sim, window));
  const workerCpus = config.worker ? Array.from({ length: config.models }, () => new Cpu(sim, window)) : [];
  // Latencies of the window's first and second halves, apart: if they differ, the queues were still
  // filling (a warm-up too short for this case) and the figures are not the steady state's.
  const latencies: [number[], number[]] = [[], []];
  let runs = 0;
  let runRows = 0;

  const threadUs = config.threadUs + config.threadRowUs * c.rows;
  const ownerUs = config.ownerUs + config.ownerRowUs * c.rows;
  // The owner's per-job cost is half the message in (and the batcher's bookkeeping), half the answer
  // out: bench:owner measures the sum. A GraphQL thread's, 70 % before the job and 30 % after the
  // answer (an assumption: it only moves latency, not throughput).
  const ownerInUs = ownerUs / 2;
  const ownerOutUs = ownerUs / 2;
  const threadBeforeUs = threadUs * 0.7;
  const threadAfterUs = threadUs * 0.3;

  const batchers = Array.from({ length: config.models }, (_, model) => {
    const owner = ownerCpus[model % c.owners]!;
    return new ModelBatcher({
      owner,
      worker: workerCpus[model],
      maxBatchRows: config.maxBatchRows,
      runUs: (rows) => cost(config.runFixedUs + config.runRowUs * rows),
      answerUs: () => cost(ownerOutUs),
      onRun: (rows) => {
        if (!inWindow(sim.nowUs, window)) return;
        runs++;
        runRows += rows;
      },
      onAnswer: (job) => threads[job.connection % c.cores]!.run(cost(threadAfterUs), () => respond(job)),
    });
  });

  const sendRequest = (connection: number): void => {
    const job: Job = { rows: c.rows, connection, sentAtUs: sim.nowUs };
    threads[connection % c.cores]!.run(cost(threadBeforeUs), () => {
      const batcher = batchers[Math.floor(random() * batchers.length)]!;
      batcher.owner.run(
        cost(ownerInUs),
        () => batcher.submit(job),
        (waitUs) => {
          if (inWindow(sim.nowUs, window)) ownerWaits.push(waitUs);
        },
      );
    });
  };
  const respond = (job: Job): void => {
    if (inWindow(sim.nowUs, window)) {
      latencies[sim.nowUs < midUs ? 0 : 1].push(sim.nowUs - job.sentAtUs);
    }
    sendRequest(job.connection);
  };

  // The connections open within one request's time, not all at the same instant.
  for (let connection = 0; connection < c.cores * config.connsPerCore; connection++) {
    sim.at(random() * threadUs, () => sendRequest(connection));
  }
  sim.runUntil(window.toUs);

  const windowUs = window.toUs - window.fromUs;
  const all = [...latencies[0], ...latencies[1]];
  const [latencyP50Us, latencyP99Us] = percentiles(all, 0.5, 0.99) as [number, number];
  const busiest = (cpus: Cpu[]): number => Math.max(0, ...cpus.map((cpu) => cpu.busyUs / windowUs));
  return {
    requestsPerSecond: all.length / (windowUs / 1e6),
    ownerBusy: busiest(ownerCpus),
    threadBusy: threads.reduce((sum, cpu) => sum + cpu.busyUs, 0) / (threads.length * windowUs),
    workerBusy: busiest(workerCpus),
    rowsPerRun: runs === 0 ? 0 : runRows / runs,
    latencyP50Us,
    latencyP99Us,
    steady: isSteady(latencies[0], latencies[1]),
    ownerWaitP99Us: percentiles(ownerWaits, 0.99)[0]!,
  };
}

interface BatcherOptions {
  maxBatchRows: number;
  /** A run's cost on the CPU that runs it, for its rows. */
  runUs: (rows: number) => number;
  /** The owner's cost to answer one job of a run. */
  answerUs: () => number;
  onRun: (rows: number) => void;
  /** A job's answer reaches its GraphQL thread. */
  onAnswer: (job: Job) => void;
}

/**
 * One model's dynamic batcher on its owner, as src/inference/scheduler/dynamic-batcher.ts: an idle
 * model dispatches at the end of the owner's current turn, so jobs already queued on the owner join;
 * a busy model's queue waits for the run's end and then goes as one run.
 */
class ModelBatcher {
  readonly owner: Cpu;
  readonly #worker: Cpu | undefined;
  readonly #options: BatcherOptions;
  readonly #queue: Job[] = [];
  #running = false;
  #dispatchScheduled = false;

  constructor(options: BatcherOptions & { owner: Cpu; worker: Cpu | undefined }) {
    this.owner = options.owner;
    this.#worker = options.worker;
    this.#options = options;
  }

  submit(job: Job): void {
    this.#queue.push(job);
    this.#schedule();
  }

  // setImmediate(dispatch): a task at the back of the owner's queue, behind the messages already in.
  #schedule(): void {
    if (this.#running || this.#dispatchScheduled || this.#queue.length === 0) return;
    this.#dispatchScheduled = true;
    this.owner.run(0, () => this.#dispatch());
  }

  #dispatch(): void {
    this.#dispatchScheduled = false;
    const batch = this.#takeBatch();
    const rows = batch.reduce((sum, job) => sum + job.rows, 0);
    this.#running = true;
    this.#options.onRun(rows);
    const runUs = this.#options.runUs(rows);
    const settle = (): void => this.owner.run(this.#options.answerUs(), () => this.#settle(batch));
    // On the owner, onnxruntime-node runs the model synchronously in a later setImmediate (a task at
    // the back), and the first job is answered in the same turn; on a worker, the owner is free until
    // the worker's outputs come back as a message.
    if (this.#worker) this.#worker.run(runUs, settle);
    else this.owner.run(runUs + this.#options.answerUs(), () => this.#settle(batch));
  }

  // Whole jobs up to maxBatchRows. A job larger than that goes alone and whole, where the real batcher
  // would split it across runs: never the case while --rows is below --max-batch-rows.
  #takeBatch(): Job[] {
    let rows = 0;
    let count = 0;
    while (count < this.#queue.length && (count === 0 || rows + this.#queue[count]!.rows <= this.#options.maxBatchRows)) {
      rows += this.#queue[count]!.rows;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  // The run's first job is answered at once, the others one per owner turn (settleInTurns), and the
  // model is free for its next run from now on, so the next dispatch queues behind the second answer.
  #settle(batch: Job[]): void {
    this.#options.onAnswer(batch[0]!);
    const answerNext = (i: number): void => {
      if (i >= batch.length) return;
      this.owner.run(this.#options.answerUs(), () => {
        this.#options.onAnswer(batch[i]!);
        answerNext(i + 1);
      });
    };
    answerNext(1);
    this.#running = false;
    this.#schedule();
  }
}

/** One thread on a core of its own: runs its tasks one at a time, in the order they came. */
class Cpu {
  busyUs = 0;
  readonly #sim: Simulation;
  readonly #window: { fromUs: number; toUs: number };
  readonly #tasks: Task[] = [];
  #next = 0;
  #current: Task | undefined;

  constructor(sim: Simulation, window: { fromUs: number; toUs: number }) {
    this.#sim = sim;
    this.#window = window;
  }

  /** Queues costUs of work; `then` runs when it is done, `onStart` with the time it waited. */
  run(costUs: number, then: () => void, onStart?: (waitUs: number) => void): void {
    this.#tasks.push({ costUs, queuedAtUs: this.#sim.nowUs, then, onStart });
    if (!this.#current) this.#startNext();
  }

  #startNext(): void {
    // Done tasks are dropped in bulk, not shifted off one by one: a saturated owner is never idle.
    if (this.#next >= 4096 || this.#next === this.#tasks.length) {
      this.#tasks.splice(0, this.#next);
      this.#next = 0;
    }
    const task = this.#tasks[this.#next];
    this.#current = task;
    if (!task) return;
    this.#next++;
    const startUs = this.#sim.nowUs;
    task.onStart?.(startUs - task.queuedAtUs);
    this.busyUs += overlapUs(startUs, startUs + task.costUs, this.#window);
    this.#sim.at(startUs + task.costUs, this.#finish);
  }

  readonly #finish = (): void => {
    this.#current!.then();
    this.#startNext();
  };
}

interface Task {
  costUs: number;
  queuedAtUs: number;
  then: () => void;
  onStart: ((waitUs: number) => void) | undefined;
}

/** The event calendar: actions at simulated times, in time order, ties in the order they were set. */
class Simulation {
  nowUs = 0;
  readonly #heap: { atUs: number; order: number; action: () => void }[] = [];
  #order = 0;

  at(atUs: number, action: () => void): void {
    const heap = this.#heap;
    const event = { atUs, order: this.#order++, action };
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(event, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = event;
  }

  runUntil(endUs: number): void {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.atUs <= endUs) {
      const first = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        siftDown(heap);
      }
      this.nowUs = first.atUs;
      first.action();
    }
    this.nowUs = endUs;
  }
}

function earlier(a: { atUs: number; order: number }, b: { atUs: number; order: number }): boolean {
  return a.atUs < b.atUs || (a.atUs === b.atUs && a.order < b.order);
}

// Moves the heap's top down to its place (the pop put the last event there).
function siftDown<T extends { atUs: number; order: number }>(heap: T[]): void {
  const event = heap[0]!;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let child = left;
    if (right < heap.length && earlier(heap[right]!, heap[left]!)) child = right;
    if (child >= heap.length || !earlier(heap[child]!, event)) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = event;
}

// mulberry32: a small seeded PRNG, so that a run repeats exactly.
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function inWindow(atUs: number, window: { fromUs: number; toUs: number }): boolean {
  return atUs >= window.fromUs && atUs <= window.toUs;
}

// Busy time counts only inside the measured window, so that a task across its edges counts in part.
function overlapUs(fromUs: number, toUs: number, window: { fromUs: number; toUs: number }): number {
  return Math.max(0, Math.min(toUs, window.toUs) - Math.max(fromUs, window.fromUs));
}

function isSteady(first: number[], second: number[]): boolean {
  const within = (a: number, b: number, share: number): boolean => Math.abs(a - b) <= share * Math.max(a, b);
  return within(first.length, second.length, 0.02) && within(percentiles(first, 0.99)[0]!, percentiles(second, 0.99)[0]!, 0.1);
}

// One sort for all the percentiles asked of the same values.
function percentiles(values: number[], ...ps: number[]): number[] {
  if (values.length === 0) return ps.map(() => 0);
  const sorted = Float64Array.from(values).sort();
  return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
}

function percent(share: number): string {
  return (share * 100).toFixed(0);
}

function ms(us: number): string {
  return (us / 1000).toFixed(2);
}

function printInputs(): void {
  console.log(`# predictql bench:scaling — a simulation (simulated time, seed ${config.seed}), not a measurement`);
  console.log(`# inputs (assumptions; a default is marked with where it comes from, from bench:floor/bench:owner on ${MEASURED_ON}):`);
  for (const { flag, source } of INPUTS) {
    const shown = flag === 'models' ? String(config.models) : readInput(flag);
    console.log(`#   --${flag} ${shown}${typeof given[flag] === 'string' ? ' (given)' : ` (default: ${source})`}`);
  }
  console.log(
    `#   runs ${config.worker ? 'on an inference worker per model (--worker)' : "on the owner's thread (no --worker)"}; the owner's per-job cost is split half message in, half answer out; a GraphQL thread's, 70 % before its job, 30 % after its answer; cores = GraphQL threads, and every thread, owner and worker has a core of its own`,
  );
}

function readNumber(flag: string, min = Number.MIN_VALUE): number {
  const text = readInput(flag);
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min) {
    throw new RangeError(`--${flag} must be a number ${min === 0 ? '≥ 0' : '> 0'}, but got: ${text}`);
  }
  return value;
}

function readInteger(flag: string): number {
  const value = readNumber(flag, 1);
  if (!Number.isInteger(value)) throw new RangeError(`--${flag} must be a positive integer, but got: ${value}`);
  return value;
}

function readList(flag: string): number[] {
  const text = readInput(flag);
  const values = text.split(',').map(Number);
  if (values.some((v) => !Number.isFinite(v) || v < 1 || !Number.isInteger(v))) {
    throw new RangeError(`--${flag} must be a comma-separated list of positive integers, but got: ${text}`);
  }
  return values;
}

// The run: one table row per rows × cores × owners.
printInputs();
const workerColumn = config.worker ? ' worker busy % (busiest) |' : '';
console.log(
  `| rows | cores | owners | requests/s | owner busy % (busiest) | GraphQL threads busy % |${workerColumn} rows per run | p50 ms | p99 ms | owner queue wait p99 ms |`,
);
console.log(`|---:|---:|---:|---:|---:|---:|${config.worker ? '---:|' : ''}---:|---:|---:|---:|`);
let unsteady = false;
for (const rows of readList('rows')) {
  for (const cores of readList('cores')) {
    for (const ownerCount of owners) {
      const r = simulate(config, { rows, cores, owners: ownerCount });
      unsteady ||= !r.steady;
      const worker = config.worker ? ` ${percent(r.workerBusy)} |` : '';
      console.log(
        `| ${rows} | ${cores} | ${ownerCount} | ${Math.round(r.requestsPerSecond)}${r.steady ? '' : ' *'} | ${percent(r.ownerBusy)} | ${percent(r.threadBusy)} |${worker} ${r.rowsPerRun.toFixed(1)} | ${ms(r.latencyP50Us)} | ${ms(r.latencyP99Us)} | ${ms(r.ownerWaitP99Us)} |`,
      );
    }
  }
}
if (unsteady) {
  console.log(
    '\n* not steady: the two halves of the window differ (requests by more than 2 % or p99 by more than 10 %); lengthen --warmup-ms and --sim-ms.',
  );
}
