// Commit headers read through an open `git cat-file` process: the poller's usual questions (is the
// last planned commit the new head's parent? is the range one commit?) answered without starting git.
import type { BlobReader } from './blob-reader.ts';

export class CommitReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommitReadError';
  }
}

/** The parent ids of a commit, in order (empty for a root commit). Throws when it is not a commit. */
export async function commitParents(reader: BlobReader, commit: string): Promise<string[]> {
  const [object] = await reader.contents([commit]);
  if (object?.type !== 'commit') throw new CommitReadError(`${commit} is not a commit`);
  const data = object.content;
  // the header ends at the first empty line; parents follow the tree line
  const end = data.indexOf('\n\n');
  const header = data.toString('utf8', 0, end < 0 ? data.length : end);
  const parents: string[] = [];
  for (const line of header.split('\n')) {
    if (line.startsWith('parent ')) parents.push(line.slice('parent '.length).trim());
    else if (line.startsWith('tree ')) continue;
    else break; // author, committer... : no parent line comes after them
  }
  return parents;
}
