# The `dougpt` task-queue worker image (TS activities, ffmpeg, DuckDB). Used by sst.config.ts.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENTRYPOINT ["node", "bin/dougpt.js"]
CMD ["worker", "--queue", "dougpt"]
