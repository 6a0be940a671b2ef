# The short way in. `make demo` and `make test` work on a machine with only Node (any version)
# and npm: scripts/setup.sh brings Node >= 22.19 and the pinned pnpm into .tools/ when needed.
SHELL := bash
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(PATH)

.PHONY: setup services demo test lint format bench clean

setup:
	@scripts/setup.sh

services:
	@scripts/setup.sh --services

## The main job (see README): the live demo on the embedded emulator, until Ctrl-C (DURATION=60s to stop on its own).
demo: setup
	pnpm demo $(if $(DURATION),--duration $(DURATION))

## Every benchmark but the long ones (test/bench); results in test/bench/results/.
bench: setup
	pnpm bench

## The whole suite: build, typecheck, lint, dependency direction, unit, integration, end-to-end.
test: services
	pnpm test

lint: setup
	pnpm lint

format: setup
	pnpm format

clean:
	rm -rf packages/*/dist examples/*/dist
