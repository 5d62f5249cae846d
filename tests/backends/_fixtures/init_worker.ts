import { receiveFjordInit, sharedBuffer } from "../../../runtime/_fjord_worker.ts";
import { getBackendType } from "../../../backends/registry.ts";

const data = await receiveFjordInit<{ add: number }>();
const counter = new Int32Array(sharedBuffer("test.counter", 4));
Atomics.add(counter, 0, data.add);
self.postMessage({ backend: getBackendType() ?? null });
