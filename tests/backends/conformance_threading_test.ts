import { defineConformanceTests } from "./_conformance.ts";

defineConformanceTests("threading");
