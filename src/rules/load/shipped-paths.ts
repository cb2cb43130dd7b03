/**
 * Rule paths left at their default that the working directory does not have fall back to the
 * copy shipped with the program, so a process started elsewhere (a service's working directory
 * is the system's) runs the shipped rules rather than refusing to start. Paths the operator set
 * are taken as they are: a missing one is their mistake to hear about.
 */
export function defaultOrShipped(
  paths: readonly string[],
  defaults: readonly string[],
  exists: (path: string) => boolean,
  shipped: string,
): { readonly paths: readonly string[]; readonly shipped: boolean } {
  const isDefault = paths.length === defaults.length && paths.every((p, i) => p === defaults[i]);
  if (isDefault && !paths.every(exists) && exists(shipped)) return { paths: [shipped], shipped: true };
  return { paths, shipped: false };
}
