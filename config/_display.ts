// Whether a Config shows an option's value as `***`: a secret option, or one whose value
// substitutes a secret (`url = mysql://u:$db_password@h`). Config registers a probe per instance
// here so that logOptions() can ask without a public method.
export const showsSecret: WeakMap<object, (name: string, group: string) => boolean> = new WeakMap();
