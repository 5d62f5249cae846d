import { getBackend } from "../../../mod.ts";

console.log(getBackend().type);
