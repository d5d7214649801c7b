# DougPT — the two commands a new user needs:
#   make demo   installs everything, starts the local stack, runs the pipeline on the synthetic sample,
#               ending in a trained adapter and its replies
#   make test   installs everything and runs the whole test suite (unit + integration on the real stack)
.PHONY: setup demo test up down bench typecheck

setup:
	bash infra/setup.sh

demo: setup
	./bin/dougpt.js demo

test: setup
	npx tsc --noEmit -p tsconfig.json
	npx tsx infra/layers/check-layers.ts
	bash infra/sst-typecheck.sh
	npx vitest run --reporter=default --reporter=json --outputFile.json=.dougpt/test/vitest.json
	npx tsx tests/check-skips.ts vitest .dougpt/test/vitest.json
	npx tsx tests/check-skips.ts pytest -- .venv/bin/python -m pytest -q -rs gpu-runner/tests

up: setup
	./bin/dougpt.js up

down:
	./bin/dougpt.js down

typecheck:
	npx tsc --noEmit -p tsconfig.json
	bash infra/sst-typecheck.sh

# Benchmarks print their figures as ratios against a baseline measured in the same run.
bench: setup
	npx tsx tests/bench/chat-normalize.bench.ts
	npx tsx tests/bench/align-accuracy.bench.ts
	npx tsx tests/bench/align-speed.bench.ts
	npx tsx tests/bench/transcribe-cpu.bench.ts
	npx tsx tests/bench/dataset-build.bench.ts
	npx tsx tests/bench/train.bench.ts
	npx tsx tests/bench/reply.bench.ts
	npx tsx tests/bench/pacing.bench.ts
	# after `make demo` (its dataset folder), or DATASET=<a dougpt dataset build folder>
	npx tsx tests/bench/listening.bench.ts --dataset $(or $(DATASET),$(or $(DOUGPT_HOME),.dougpt)/demo/dataset)
