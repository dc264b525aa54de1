import path from "node:path";
import { openRecordedSource, openSource, recordSource, type TemplateSource } from "../templates/source.js";

export interface ServiceSource {
  source: TemplateSource;
  /** What `.paved.yml` should record afterwards: the new source when --source moved it, else as it was. */
  record: string;
  /** Every version the source has, oldest first (pre-releases included: a service may be on one). */
  versions: string[];
  /** What chose the source: `--source`, or the `.paved.yml` that records it. */
  chosenBy: string;
}

/** The template source for a service: --source if given, else the one its `.paved.yml` records. */
export async function openServiceSource(
  serviceDir: string,
  flag: string | undefined,
  recorded: string,
  template: string,
  want: string,
): Promise<ServiceSource> {
  const source = flag ? await openSource(flag) : await openRecordedSource(serviceDir, recorded);
  await source.listVersions(template, { want });
  const versions = await source.listAllVersions(template);
  return {
    source,
    record: flag ? recordSource(source, serviceDir) : recorded,
    versions,
    chosenBy: flag ? "--source" : path.join(serviceDir, ".paved.yml"),
  };
}
