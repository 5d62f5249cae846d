// Imported by sibling_service.ts: a service's own relative import, which a process worker must
// be allowed to read.
export const GREETING = "hello from the sibling module";
