// The selected backend's type, on its own so that a fjord Worker can adopt its parent's backend
// without loading every component: registry.ts builds the Backend object (and so imports all
// components) only when something asks for it.

import type { BackendType } from "./backend_type.ts";

let selected: BackendType | undefined;

export function selectedBackendType(): BackendType | undefined {
  return selected;
}

export function setSelectedBackendType(type: BackendType | undefined): void {
  selected = type;
}
