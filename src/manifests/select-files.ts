// Which files of a revision are manifest files: configurable globs (picomatch), by default every
// *.yaml / *.yml outside dot-folders (.github, .ci ... hold other YAML).
import picomatch from 'picomatch';

export const DEFAULT_MANIFEST_GLOBS: readonly string[] = ['**/*.yaml', '**/*.yml'];

export function manifestPathMatcher(
  globs: readonly string[] = DEFAULT_MANIFEST_GLOBS,
): (path: string) => boolean {
  const list = globs.length > 0 ? [...globs] : [...DEFAULT_MANIFEST_GLOBS];
  return picomatch(list, { dot: false });
}

/** Paths from git are repo-relative; one that is absolute or climbs with `..` would leave the repository. */
export function leavesRepository(path: string): boolean {
  if (path.startsWith('/') || path.includes('\0')) return true;
  return path.split('/').some((segment) => segment === '..' || segment === '');
}
