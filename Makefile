# The pet store's one entry point. `make run` and `make test` install what they
# need on a machine with only python3 and pip.

# The project and its functions run on the template's runtime, python3.13.
PYTHON_VERSION := 3.13
PYTHON ?= $(shell infrastructure/tools/find-python $(PYTHON_VERSION))
ifeq ($(PYTHON),)
$(error Python $(PYTHON_VERSION) is needed; see the lines above for how to install it)
endif
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SAM := .venv-sam/bin/sam
CHECKOV := .tools/checkov/bin/checkov
TRANSPORT ?= sns
PARAMS ?=
# `make run PORT=3001 EMULATOR_PORT=4567 STACK=mine`: petstore up's --port, --emulator-port, --stack-name.
# `make run STATE=.local/state`: petstore up --state, the data kept across restarts.
PORT ?=
EMULATOR_PORT ?=
STACK ?=
STATE ?=

export UV_PYTHON_DOWNLOADS := never
export SAM_CLI_TELEMETRY := 0

.PHONY: help install rabbitmq build run test test-slow test-unit test-integration lint format validate bench load soak openapi schemas operations demo clean

help:
	@echo "make run        start the whole system locally (API :3000, AWS emulator :4566) with demo data"
	@echo "                (PORT=, EMULATOR_PORT=, STACK=, TRANSPORT=kafka|rabbitmq, PARAMS=\"KEY=VALUE ...\")"
	@echo "make test       every test (unit, integration, end to end)"
	@echo "make test-slow  the tests that wait out real AWS periods (minutes each)"
	@echo "make lint       ruff (lint + format check) and mypy"
	@echo "make validate   cfn-lint, sam validate --lint, checkov and the least-privilege checks on template.yaml;"
	@echo "                the deploy gate: sam build of both templates, every built handler imported and invoked"
	@echo "make build      sam build (CONFIG_ENV=kafka or rabbitmq for a variant), with Python 3.13 on PATH for SAM"
	@echo "make rabbitmq   install Debian's rabbitmq-server for the RabbitMQ variant (as root; else says what to install)"
	@echo "make demo       with \`make run\` going in another terminal: one order down each saga path"
	@echo "make bench      the benchmarks (figures printed side by side)"
	@echo "make load       a 60 s mixed load run on a fresh local cloud, then the saga's invariants"
	@echo "make soak       an hour (SOAK_MINUTES=…) of light traffic then idle on \`petstore up\`: each"
	@echo "                process's memory and CPU every minute, then growth per hour and idle CPU"
	@echo "make openapi    regenerate docs/openapi.json from the handlers"
	@echo "make schemas    regenerate the events' JSON Schemas in events/schemas/"
	@echo "make operations regenerate template.yaml's dashboard and alarms from its functions and queues"

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	@echo "Installing the project's packages into $(VENV) and compiling their bytecode (about 30 s the first time)…"
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

# The project's own modules compiled ahead: `petstore up` and the emulator otherwise compile
# them at every start where PYTHONDONTWRITEBYTECODE is set (CI runners, containers), ~0.4 s
# of CPU. Up-to-date files are skipped (~0.1 s).
install: $(VENV)/.synced
	@$(BIN)/python -m compileall -q -x '/\.(local|aws-sam)/' infrastructure layers functions >/dev/null

# The RabbitMQ variant's local broker (Debian's rabbitmq-server; as root it is installed).
rabbitmq:
	@infrastructure/tools/ensure-rabbitmq

$(SAM): infrastructure/tools/sam-cli.lock.txt | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) .venv-sam
	$(UV) pip install --quiet --python .venv-sam/bin/python --require-hashes \
		-r infrastructure/tools/sam-cli.lock.txt
	@touch $@

$(CHECKOV): infrastructure/tools/checkov.lock.txt | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) .tools/checkov
	$(UV) pip install --quiet --python .tools/checkov/bin/python --require-hashes \
		-r infrastructure/tools/checkov.lock.txt
	@touch $@

run: install $(if $(filter rabbitmq,$(TRANSPORT)),rabbitmq)
	$(BIN)/petstore up --transport $(TRANSPORT) $(if $(PORT),--port $(PORT)) \
		$(if $(EMULATOR_PORT),--emulator-port $(EMULATOR_PORT)) $(if $(STACK),--stack-name $(STACK)) \
		$(if $(PARAMS),--parameter-overrides $(PARAMS)) $(if $(STATE),--state $(STATE))

demo: install $(if $(filter rabbitmq,$(TRANSPORT)),rabbitmq)
	$(BIN)/petstore demo --transport $(TRANSPORT)

# The slowest tests are listed at the end: make test keeps to ten minutes on two cores.
test: install rabbitmq
	$(BIN)/pytest -m "not slow" --durations=40

# Tests that wait out the template's own alarm periods; exit 5 is pytest's "none selected".
test-slow: install
	$(BIN)/pytest -m slow || [ $$? -eq 5 ]

test-unit: install
	$(BIN)/pytest tests/unit

test-integration: install rabbitmq
	$(BIN)/pytest tests/integration tests/e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --exclude '^infrastructure/kafka/topics/' infrastructure layers/shared/petstore_shared \
		$(wildcard functions/*/*/)
	@# The Kafka topics function's package as Lambda imports it, not under infrastructure/kafka.
	$(BIN)/mypy -p kafka_topics

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

validate: install rabbitmq $(SAM) $(CHECKOV)
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml
	$(BIN)/python -m infrastructure.kafka.generate --check
	$(BIN)/cfn-lint infrastructure/kafka/template.yaml
	$(SAM) validate --lint --template infrastructure/kafka/template.yaml
	$(BIN)/python -m infrastructure.rabbitmq.generate --check
	$(BIN)/cfn-lint infrastructure/rabbitmq/template.yaml
	$(SAM) validate --lint --template infrastructure/rabbitmq/template.yaml
	$(CHECKOV) --config-file infrastructure/tools/checkov.yaml --file template.yaml
	$(BIN)/pytest -q tests/unit/template
	$(BIN)/python -m infrastructure.deploy_gate --sam $(SAM)
	$(BIN)/pytest -q -m deploy_gate tests/deploy_gate

# sam build finds the runtime's Python on PATH; the one on PATH may be a stand-in (a pyenv shim).
build: $(SAM)
	PATH="$(dir $(PYTHON)):$$PATH" $(SAM) build $(if $(CONFIG_ENV),--config-env $(CONFIG_ENV))

bench: install
	$(BIN)/python tests/benchmarks/run_all.py

load: install
	PYTHONPATH=tests $(BIN)/python -m load.run_load --seconds 60 --users 12

# SOAK_MINUTES=10 make soak for a shorter run.
soak: install
	PYTHONPATH=tests $(BIN)/python -m load.run_soak --minutes $(or $(SOAK_MINUTES),60)

openapi: install
	$(BIN)/python -m infrastructure.openapi.generate

schemas: install
	$(BIN)/python -m infrastructure.event_schemas.export

operations: install
	$(BIN)/python -m infrastructure.operations.generate

clean:
	rm -rf $(VENV) .tools .venv-sam .local .pytest_cache .mypy_cache .ruff_cache
