import { proxyActivities } from '@temporalio/workflow';
import type { IngestActivities } from '../functions/activities.ts';
import type { BuildLakeDatasetInput, BuildLakeDatasetOutput } from '../functions/dataset/build-lake-dataset.ts';
import { lakeCommit } from './profiles.ts';

const lake = proxyActivities<IngestActivities>(lakeCommit);

/**
 * `buildDataset`: one dataset version from the lake's newest alignments. Plain-JSON input, e.g.
 * `temporal workflow start --type buildDataset --task-queue dougpt --input '{"split_by":"block"}'`.
 * The activity is idempotent (the dataset id is a hash of everything that decides its rows), so a
 * retry or a second start with the same input records nothing new.
 */
export async function buildDataset(input: BuildLakeDatasetInput = {}): Promise<BuildLakeDatasetOutput> {
  return lake.buildDataset(input);
}
