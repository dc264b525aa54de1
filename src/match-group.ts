/** Group `n` of a match whose pattern always captures it (the group is not optional): a missing one is a bug. */
export function matchGroup(match: RegExpExecArray | RegExpMatchArray, n: number): string {
  const group = match[n];
  if (group === undefined) throw new Error(`bug: group ${n} of a match of ${JSON.stringify(match[0])} did not capture`);
  return group;
}
