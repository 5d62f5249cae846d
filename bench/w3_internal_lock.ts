// W3 in-process lock (peer kit definition, see ../shared/peers/node/w3_internal_lock.mjs):
// (a) W3a: 200,000 uncontended acquire -> counter++ -> release, sequential awaits (ops/s).
// (b) W3b: 8 async tasks x 5,000 of: acquire -> read shared counter -> await a microtask ->
//     write counter+1 -> release. Final counter must be exactly 40,000; a lock-free control run
//     of the same loop must NOT reach 40,000.
// Trials repeat per repeat() (up to 5 trials / 2 s), the median trial is reported.
// Peers: fjord.Mutex (acquire()/dispose), fjord.lock(name) (lock()/release(), and the
// `await using` form), on the cooperative backend (the default), then lock(name) again on the
// threading backend (which adds the cross-Worker slot). The floor, in the same run: the node
// kit's 10-line promise-chain FIFO lock, in Deno.
//
// Scaling: `--contenders N` runs only W3b with N tasks (x 5,000 each) for fjord.Mutex,
// fjord.lock(name) and the floor, reported under workload "W3b-scaling".
//
// Run: deno run bench/w3_internal_lock.ts [--contenders N]
import { initBackend } from "../backends/registry.ts";
import { lock, Mutex } from "../lock/mod.ts";
import { check, emit, intArg, log, median, repeat } from "./_common.ts";

const UNCONTENDED = 200_000;
const SCALING = Deno.args.includes("--contenders");
const TASKS = intArg("contenders", 8);
const W3B = SCALING ? "W3b-scaling" : "W3b";
const PER_TASK = 5_000;

// Each peer's loop calls the API directly (no wrapper closure per operation), the way the node
// peers call async-mutex.
type Critical = (counter: { value: number }) => Promise<void>;
interface Peer {
  name: string;
  uncontended: (n: number) => Promise<number>;
  critical: () => Critical;
}

// The floor: the smallest correct FIFO async lock (the node kit's ChainLock, in Deno).
class ChainLock {
  #tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const ready = this.#tail.then(() => release);
    this.#tail = next;
    return ready;
  }
}

const floorPeer: Peer = {
  name: "deno promise-chain lock (floor)",
  async uncontended(n): Promise<number> {
    const l = new ChainLock();
    let counter = 0;
    for (let i = 0; i < n; i++) {
      const release = await l.acquire();
      counter++;
      release();
    }
    return counter;
  },
  critical(): Critical {
    const l = new ChainLock();
    return async (c) => {
      const release = await l.acquire();
      const v = c.value;
      await Promise.resolve();
      c.value = v + 1;
      release();
    };
  },
};

const mutexPeer: Peer = {
  name: "fjord.Mutex",
  async uncontended(n): Promise<number> {
    const m = new Mutex();
    let counter = 0;
    for (let i = 0; i < n; i++) {
      const held = await m.acquire();
      counter++;
      held[Symbol.dispose]();
    }
    return counter;
  },
  critical(): Critical {
    const m = new Mutex();
    return async (c) => {
      const held = await m.acquire();
      const v = c.value;
      await Promise.resolve();
      c.value = v + 1;
      held[Symbol.dispose]();
    };
  },
};

const lockPeer: Peer = {
  name: "fjord.lock(name)",
  async uncontended(n): Promise<number> {
    let counter = 0;
    for (let i = 0; i < n; i++) {
      const h = await lock("w3");
      counter++;
      await h.release();
    }
    return counter;
  },
  critical(): Critical {
    return async (c) => {
      const h = await lock("w3b");
      const v = c.value;
      await Promise.resolve();
      c.value = v + 1;
      await h.release();
    };
  },
};

const awaitUsingPeer: Peer = {
  name: "fjord.lock(name) await using",
  async uncontended(n): Promise<number> {
    let counter = 0;
    for (let i = 0; i < n; i++) {
      await using _h = await lock("w3");
      counter++;
    }
    return counter;
  },
  critical(): Critical {
    return async (c) => {
      await using _h = await lock("w3b");
      const v = c.value;
      await Promise.resolve();
      c.value = v + 1;
    };
  },
};

async function uncontended(peer: Peer): Promise<void> {
  const walls = await repeat(async () => {
    const t0 = performance.now();
    const counter = await peer.uncontended(UNCONTENDED);
    const dt = (performance.now() - t0) / 1000;
    check(counter === UNCONTENDED, `${peer.name}: uncontended count`);
    return dt;
  });
  log(
    `${peer.name}: uncontended ${UNCONTENDED}, trials ${
      walls.map((w) => w.toFixed(4)).join(" ")
    } s`,
  );
  emit(peer.name, "W3a", "ops_per_s", UNCONTENDED / median(walls), "ops/s");
}

async function contendedLoop(critical: Critical | null): Promise<{ dt: number; counter: number }> {
  const state = { value: 0 };
  const worker = async (): Promise<void> => {
    for (let i = 0; i < PER_TASK; i++) {
      if (critical) {
        await critical(state);
      } else {
        const v = state.value;
        await Promise.resolve();
        state.value = v + 1;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: TASKS }, worker));
  return { dt: (performance.now() - t0) / 1000, counter: state.value };
}

async function contended(peer: Peer): Promise<void> {
  const total = TASKS * PER_TASK;
  const walls = await repeat(async () => {
    const { dt, counter } = await contendedLoop(peer.critical());
    check(counter === total, `${peer.name}: counter ${counter} != ${total}`);
    return dt;
  });
  log(`${peer.name}: contended ${total}, trials ${walls.map((w) => w.toFixed(4)).join(" ")} s`);
  const name = SCALING ? `${peer.name} x${TASKS}` : peer.name;
  emit(name, W3B, "ops_per_s", total / median(walls), "ops/s");
}

// With one contender nothing can interleave: there is no race for the control to show.
if (TASKS > 1) {
  const control = await contendedLoop(null);
  check(
    control.counter !== TASKS * PER_TASK,
    "control without lock reached the total: the W3b check is not meaningful",
  );
  log(`control (no lock): counter ${control.counter} (expected < ${TASKS * PER_TASK})`);
}

if (SCALING) {
  for (const peer of [mutexPeer, lockPeer, floorPeer]) await contended(peer);
  Deno.exit(0);
}

for (const peer of [mutexPeer, lockPeer, awaitUsingPeer, floorPeer]) {
  await uncontended(peer);
  await contended(peer);
}

// The threading backend: lock(name) also takes the name's slot in the cross-Worker table.
initBackend("threading");
const threadingPeer: Peer = { ...lockPeer, name: "fjord.lock(name) [threading backend]" };
await uncontended(threadingPeer);
await contended(threadingPeer);
