// An isolate program that throws once it is connected (from its top-level await: a rejection).

import { connectGuest } from "../../../runtime/_isolate_guest.ts";

await connectGuest<never, never>();
throw new Error("thrown on purpose");
