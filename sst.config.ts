/// <reference path="./.sst/platform/config.d.ts" />

/**
 * Cloud shape of DougPT (SST v3 on AWS). Locally the same pieces are MinIO, Apache Iceberg's REST
 * catalog, the Temporal dev server and two workers started by `dougpt up`; here they become:
 *
 *   lake bucket (S3)            bronze/silver/gold objects          ← MinIO
 *   S3 Tables bucket            Iceberg REST catalog endpoint       ← RESTCatalogServer (JdbcCatalog)
 *   Temporal Cloud namespace    workflows, retries, Web UI          ← temporal server start-dev
 *   ECS service "worker"        task queue `dougpt` (TS activities) ← dougpt worker --queue dougpt
 *   ECS service "gpu-worker"    task queue `dougpt-gpu` on a GPU    ← dougpt worker --queue dougpt-gpu
 *
 * `sst deploy --stage prod` needs AWS credentials and a Temporal Cloud namespace + API key stored
 * as SST secrets (`sst secret set TemporalApiKey …`). None of this is exercised by the test suite, and
 * this file is not typechecked: its types (`$config`, `sst.aws.*`) come from `sst install`, which
 * downloads the platform and its Pulumi providers, something our machines cannot do.
 */
export default $config({
  app(input) {
    return {
      name: 'dougpt',
      removal: input?.stage === 'prod' ? 'retain' : 'remove',
      home: 'aws',
      providers: { aws: { region: 'us-east-1' } },
    };
  },
  async run() {
    const temporalAddress = new sst.Secret('TemporalAddress');
    const temporalNamespace = new sst.Secret('TemporalNamespace');
    const temporalApiKey = new sst.Secret('TemporalApiKey');

    const lake = new sst.aws.Bucket('Lake');
    // Iceberg tables live in an S3 Tables bucket, whose REST endpoint any Iceberg reader can use.
    const tables = new aws.s3tables.TableBucket('LakeTables', { name: `dougpt-${$app.stage}-tables` });
    for (const namespace of ['bronze', 'silver', 'gold', 'meta']) {
      new aws.s3tables.Namespace(`Namespace${namespace}`, { namespace, tableBucketArn: tables.arn });
    }
    const catalogUri = $interpolate`https://s3tables.us-east-1.amazonaws.com/iceberg`;

    const vpc = new sst.aws.Vpc('Vpc', { nat: 'ec2' });
    const cluster = new sst.aws.Cluster('Cluster', { vpc });

    // The variables infra/config.ts reads (README: "Configuration"): set, they point a worker at these
    // services instead of a local stack. The lake's key pairs (DOUGPT_S3_*_KEY*) are not wired here yet.
    const environment = {
      DOUGPT_BUCKET: lake.name,
      DOUGPT_S3_REGION: 'us-east-1',
      DOUGPT_S3_ENDPOINT: 'https://s3.us-east-1.amazonaws.com',
      DOUGPT_CATALOG_URI: catalogUri,
      ICEBERG_WAREHOUSE: tables.arn,
      DOUGPT_TEMPORAL_ADDRESS: temporalAddress.value,
      DOUGPT_TEMPORAL_NAMESPACE: temporalNamespace.value,
    };
    const link = [lake, temporalApiKey];

    new sst.aws.Service('Worker', {
      cluster,
      image: { context: '.', dockerfile: 'infra/worker.Dockerfile' },
      command: ['node', 'bin/dougpt.js', 'worker', '--queue', 'dougpt'],
      cpu: '2 vCPU',
      memory: '8 GB',
      scaling: { min: 1, max: 8, cpuUtilization: 70 },
      environment,
      link,
    });

    // GPU worker: ECS on EC2 with a GPU instance type; runs the gpu-runner image (faster-whisper, QLoRA).
    new sst.aws.Service('GpuWorker', {
      cluster,
      image: { context: '.', dockerfile: 'gpu-runner/Dockerfile' },
      command: ['node', 'bin/dougpt.js', 'worker', '--queue', 'dougpt-gpu'],
      capacity: 'spot',
      cpu: '4 vCPU',
      memory: '16 GB',
      scaling: { min: 0, max: 4 },
      environment: { ...environment, DOUGPT_GPU: 'cuda' },
      link,
      transform: {
        taskDefinition: (args) => {
          args.containerDefinitions = $jsonStringify([
            { name: 'GpuWorker', resourceRequirements: [{ type: 'GPU', value: '1' }] },
          ]);
        },
      },
    });

    return { lake: lake.name, tables: tables.arn, catalog: catalogUri };
  },
});
