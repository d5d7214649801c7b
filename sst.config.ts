/// <reference path="./.sst/platform/config.d.ts" />

/**
 * Cloud shape of DougPT (SST on AWS): the local stack's pieces, each as a service that reads the same
 * variables `infra/config.ts` reads (README: "Configuration"):
 *
 *   bucket "Lake" (S3)           bronze/silver/gold objects, Iceberg data  ← MinIO
 *   users "LakeWriter/Reader"    read-write and read-only keys to it       ← MinIO's root and reader users
 *   service "Catalog"            Iceberg REST catalog, SQLite on EFS        ← RESTCatalogServer (JdbcCatalog)
 *   service "Temporal"           single-node Temporal, SQLite on EFS        ← temporal server start-dev
 *   service "Worker"             task queue `dougpt` (TS activities)        ← dougpt worker --queue dougpt
 *   service "GpuWorker"          task queue `dougpt-gpu` (Python runner)    ← dougpt worker --queue dougpt-gpu
 *
 * `npm run typecheck:sst` (part of `make test`) typechecks this file against the pinned `sst`; no test
 * deploys it. `sst deploy --stage prod` needs AWS credentials. Fargate has no GPUs: the GpuWorker here
 * runs the runner's CPU paths, and a GPU machine joins the same `dougpt-gpu` queue from outside with
 * the variables this file prints (README: "More than one host").
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
    const region = 'us-east-1';
    const lake = new sst.aws.Bucket('Lake');
    const bucketObjects = $interpolate`${lake.arn}/*`;
    // An upload a killed worker left unfinished (multipart: large media) is dropped after a day;
    // locally MinIO drops stale uploads after 24 h (its `api stale_uploads_expiry` default).
    new aws.s3.BucketLifecycleConfiguration('LakeUploads', {
      bucket: lake.name,
      rules: [{ id: 'abort-incomplete-uploads', status: 'Enabled', filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } }],
    });

    // The lake's two key pairs, as locally: the writer's for workers and catalog, the reader's for `dougpt sql`.
    const keyPair = (name: string, actions: string[]) => {
      const user = new aws.iam.User(`Lake${name}`);
      new aws.iam.UserPolicy(`Lake${name}Policy`, {
        user: user.name,
        policy: $jsonStringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: actions, Resource: [lake.arn, bucketObjects] }],
        }),
      });
      return new aws.iam.AccessKey(`Lake${name}Key`, { user: user.name });
    };
    const writer = keyPair('Writer', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']);
    const reader = keyPair('Reader', ['s3:GetObject', 's3:ListBucket']);

    const vpc = new sst.aws.Vpc('Vpc', { nat: 'ec2' });
    const cluster = new sst.aws.Cluster('Cluster', { vpc });
    // One small file system for the two single-node state stores (catalog and Temporal SQLite files).
    const state = new sst.aws.Efs('State', { vpc });
    const s3Endpoint = `https://s3.${region}.amazonaws.com`;

    const catalog = new sst.aws.Service('Catalog', {
      cluster,
      image: { context: 'infra/iceberg-rest', dockerfile: '../catalog.Dockerfile' },
      cpu: '0.5 vCPU',
      memory: '1 GB',
      scaling: { min: 1, max: 1 },
      volumes: [{ efs: state, path: '/state' }],
      serviceRegistry: { port: 8181 },
      environment: {
        CATALOG_URI: 'jdbc:sqlite:/state/catalog.db?journal_mode=WAL&busy_timeout=10000',
        CATALOG_WAREHOUSE: $interpolate`s3://${lake.name}/warehouse`,
        CATALOG_S3_ENDPOINT: s3Endpoint,
        CATALOG_S3_PATH__STYLE__ACCESS: 'true',
        CATALOG_CLIENT_REGION: region,
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: writer.id,
        AWS_SECRET_ACCESS_KEY: writer.secret,
      },
    });

    const temporal = new sst.aws.Service('Temporal', {
      cluster,
      image: 'temporalio/temporal:1.5.1',
      command: ['server', 'start-dev', '--ip', '0.0.0.0', '--db-filename', '/state/temporal.db', '--headless'],
      cpu: '1 vCPU',
      memory: '2 GB',
      scaling: { min: 1, max: 1 },
      volumes: [{ efs: state, path: '/state' }],
      serviceRegistry: { port: 7233 },
    });

    // Everything infra/config.ts reads; nothing else. Workers write the lake with the writer's keys.
    const environment = {
      DOUGPT_BUCKET: lake.name,
      DOUGPT_S3_REGION: region,
      DOUGPT_S3_ENDPOINT: s3Endpoint,
      DOUGPT_S3_ACCESS_KEY_ID: writer.id,
      DOUGPT_S3_SECRET_ACCESS_KEY: writer.secret,
      DOUGPT_S3_READER_ACCESS_KEY_ID: reader.id,
      DOUGPT_S3_READER_SECRET_ACCESS_KEY: reader.secret,
      DOUGPT_CATALOG_URI: $interpolate`http://${catalog.service}:8181`,
      DOUGPT_TEMPORAL_ADDRESS: $interpolate`${temporal.service}:7233`,
      DOUGPT_TEMPORAL_NAMESPACE: 'default',
      DOUGPT_TASK_QUEUE: 'dougpt',
      DOUGPT_GPU_TASK_QUEUE: 'dougpt-gpu',
    };

    new sst.aws.Service('Worker', {
      cluster,
      image: { context: '.', dockerfile: 'infra/worker.Dockerfile' },
      command: ['worker', '--queue', 'dougpt'],
      cpu: '2 vCPU',
      memory: '8 GB',
      scaling: { min: 1, max: 8, cpuUtilization: 70 },
      environment,
    });

    new sst.aws.Service('GpuWorker', {
      cluster,
      image: { context: '.', dockerfile: 'infra/gpu-worker.Dockerfile' },
      command: ['worker', '--queue', 'dougpt-gpu'],
      cpu: '4 vCPU',
      memory: '16 GB',
      scaling: { min: 1, max: 2 },
      environment,
    });

    return {
      lake: lake.name,
      catalog: environment.DOUGPT_CATALOG_URI,
      temporal: environment.DOUGPT_TEMPORAL_ADDRESS,
    };
  },
});
