# The two README commands: `make synth` and `make test`. Each sets up what it needs first.
ENV ?= development
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk
CDK_APP := $(PY) app.py

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# Pinned CLI, no update notices or telemetry prompts in CI logs.
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: install installed synth test lint bench constraints clean diff-local cdk-diff deploy versions rto drill drill-report grafana baseline

# The Python and the npm installs are independent and mostly waiting on the network: both at once.
install:
	@$(MAKE) --no-print-directory -j2 installed

installed: $(VENV)/.installed node_modules/.installed
	@:

# uv (pinned in constraints.txt like everything else, bootstrapped with pip) installs the same pins
# as pip would, several times faster: parallel downloads, no per-package pip overhead. Bytecode
# is compiled at install time as pip does, so no process pays for compiling aws-cdk-lib's
# modules (7 MB for aws_ec2 alone) again when PYTHONDONTWRITEBYTECODE is set.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --disable-pip-version-check -c constraints.txt uv
	$(VENV)/bin/uv pip install -q --python $(PY) --compile-bytecode -c constraints.txt -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## Synthesize every stack of ENV (default development) into cdk.out/; cdk-nag runs as part of it.
synth: install
	$(CDK) synth --quiet --app "$(CDK_APP)" -c env=$(ENV)

## Remaining standard support of every pinned version (EKS, add-ons, Lambda runtime, PostgreSQL,
## Redis, Powertools, AKS) in every environment: make versions [VERSIONS_ARGS="--env production"]
versions: install
	$(PY) -m infra.versions $(VERSIONS_ARGS)

## Render the AKS cluster baseline (k8s/rendered/<env>/aks) after a change to k8s/ or config and
## commit it; `python -m azure_dr sync` uploads it and points Flux at it (docs/cluster-baseline.md).
baseline: install
	$(PY) -m infra.k8s_baseline --write

## Run the whole test suite.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## Offline template diff of a git ref against the working tree (no credentials):
## make diff-local BASE=main [ENVS="development staging"] [DIFF_ARGS="--fail-on-replace --markdown x.md"]
BASE ?= main
ENVS ?= $(ENV)
diff-local: install
	$(PY) -m tools.template_diff --base $(BASE) $(foreach env,$(ENVS),--env $(env)) $(DIFF_ARGS)

## Diff against the deployed stacks of ENV (needs AWS credentials).
cdk-diff: install
	$(CDK) diff --all --app "$(CDK_APP)" -c env=$(ENV)

## Deploy every stack of ENV (needs credentials and `cdk bootstrap`; CI gates it by environment).
deploy: install
	$(CDK) deploy --all --app "$(CDK_APP)" -c env=$(ENV) --require-approval never

## Data sources and dashboards (infra/grafana/dashboards/) of ENV's Grafana workspace, with your
## AWS credentials and a token that lives monitoring.grafana.provisioning_token_minutes at most.
grafana: install
	$(PY) -m tools.grafana --env $(ENV)

## The RTO budget of ENV's Region switch plan: worst case per step against the objective (estimate).
rto: install
	$(PY) -m tools.rto --env $(ENV)

## A switchover drill of ENV's Region switch plan (needs AWS credentials): follows it, prints each
## step's duration and the total against the objective. OUTPUT=json, DRILL_ARGS="--to us-east-1".
OUTPUT ?= text
drill: install
	$(PY) -m tools.drill start --env $(ENV) --output $(OUTPUT) $(DRILL_ARGS)

## The last executions of ENV's plan, read back (needs AWS credentials).
drill-report: install
	$(PY) -m tools.drill report --env $(ENV) --output $(OUTPUT) $(DRILL_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy infra azure_dr lambdas tools app.py
	$(PY) -m tools.mypy_scope

## Hello-world vs full production synth (median wall time, peak memory); backup jobs at scale;
## object replication (10,000 objects, 1 GiB) against moto and the recording fake Blob service;
## the database to Azure (1 GiB dump, ship, restore; logical replication lag under pgbench).
bench: install
	$(PY) bench/synth_bench.py
	$(PY) bench/backup_bench.py
	$(PY) bench/object_replication_bench.py
	$(PY) bench/database_dump_bench.py

## Re-pin the transitive dependencies after changing pyproject.toml.
constraints: install
	$(PY) -m pip freeze --exclude-editable | sed '1i # Transitive pins for reproducible installs (uv/pip install -c constraints.txt; uv itself is pinned here too). Regenerate with `make constraints`.' > constraints.txt

clean:
	rm -rf cdk.out .pytest_cache
